import { WatermarkValve } from '../../../runtime/taskmanager/watermark-valve';

function valve(inputs: number) {
  const out: (number | 'idle' | 'active')[] = [];
  const v = new WatermarkValve({
    emitWatermark: (ts) => out.push(ts),
    emitStatus: (idle) => out.push(idle ? 'idle' : 'active'),
  });
  for (let i = 0; i < inputs; i++) v.addInput();
  return { v, out };
}

describe('WatermarkValve', () => {
  it('emits the minimum over its inputs, only when it advances', () => {
    const { v, out } = valve(2);
    v.onWatermark(0, 10);
    expect(out).toEqual([]);
    v.onWatermark(1, 5);
    v.onWatermark(1, 4); // a watermark never goes back
    v.onWatermark(1, 20);
    expect(out).toEqual([5, 10]);
    expect(v.currentWatermark).toBe(10);
  });

  it('excludes idle inputs; all idle makes it idle; a returning input counts once it caught up', () => {
    const { v, out } = valve(2);
    v.onWatermark(0, 10);
    v.onStatus(1, true);
    expect(out).toEqual([10]);
    v.onWatermark(0, 30);
    v.onStatus(0, true);
    expect(out).toEqual([10, 30, 'idle']);
    v.onWatermark(1, 20); // active again, but behind the output: does not hold it back
    expect(out).toEqual([10, 30, 'idle', 'active']);
    v.onWatermark(1, 40);
    expect(out).toEqual([10, 30, 'idle', 'active', 40]);
  });

  it('an ended input is at the end of time', () => {
    const { v, out } = valve(2);
    v.onWatermark(0, 7);
    v.onEnd(1);
    v.onEnd(0);
    expect(out).toEqual([7, Number.POSITIVE_INFINITY]);
  });
});
