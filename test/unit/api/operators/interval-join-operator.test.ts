import { IntervalJoinOperator } from '../../../../runtime/api/joins/interval-join-operator';
import type { OperatorContext } from '../../../../runtime/api/operators/stream-operator';
import { keyGroupRangeForSubtask } from '../../../../runtime/graph/key-groups';
import { HeapKeyedStateBackend } from '../../../../runtime/state/heap/heap-keyed-state-backend';
import { OperatorStateBackend } from '../../../../runtime/state/operator-state-backend';
import { MapStateDescriptor } from '../../../../runtime/state/state-descriptors';

interface Event {
  key: string;
  id: string;
}

/** The operator over a real heap backend, driven record by record with explicit timestamps and watermarks. */
function harness(lowerMs: number, upperMs: number) {
  const backend = new HeapKeyedStateBackend(128, keyGroupRangeForSubtask(128, 1, 0), 'join');
  const recordTimestamp: { value: number | undefined } = { value: undefined };
  const out: string[] = [];
  const late: string[] = [];
  const op = new IntervalJoinOperator<Event, Event, string>(
    [(e) => (e as Event).key, (e) => (e as Event).key],
    { lowerMs, upperMs, lateTags: ['late-left', undefined] },
    (l, r, ctx, o) => o.collect(`${l.id}+${r.id}@${ctx.getTimestamp()}`),
  );
  op.output = { collect: (r) => out.push(r) };
  op.sideOutput = { emit: (tag, r) => late.push(`${tag}:${(r as Event).id}`) };
  op.watermarks = { emitWatermark: () => undefined, emitStatus: () => undefined };
  op.initializeState({
    keyedStateBackend: backend,
    operatorStateBackend: new OperatorStateBackend('join'),
    isRestored: false,
  });
  op.open({
    operatorName: 'join',
    keyedState: backend,
    recordTimestamp,
    processingTime: { now: () => 0, schedule: () => () => undefined },
  } as unknown as OperatorContext);
  const send = (input: 0 | 1, key: string, id: string, ts: number) => {
    recordTimestamp.value = ts;
    op.processElement({ key, id }, input);
  };
  return { op, out, late, backend, send };
}

describe('interval join operator', () => {
  it('joins each pair within [t1 + lower, t1 + upper], from either side, stamped with the later time', () => {
    const h = harness(-10, 20);
    h.send(0, 'a', 'L1', 100);
    h.send(1, 'a', 'R1', 89); // 100 - 11: outside
    h.send(1, 'a', 'R2', 90); // on the lower bound
    h.send(1, 'a', 'R3', 120); // on the upper bound
    h.send(1, 'a', 'R4', 121); // outside
    h.send(1, 'b', 'R5', 100); // other key
    h.send(0, 'a', 'L2', 101); // joins R2 (91 > 90? no: 101-10=91), R3, R4
    expect(h.out.sort()).toEqual(['L1+R2@100', 'L1+R3@120', 'L2+R3@120', 'L2+R4@121'].sort());
  });

  it('removes elements once the watermark passes the last time a partner can have, and routes late ones', () => {
    const h = harness(-10, 20);
    h.send(0, 'a', 'L1', 100);
    h.send(1, 'a', 'R1', 105);
    const buffered = (side: 'left' | 'right') => {
      h.backend.setCurrentKey('a');
      return h.backend.getMapState(new MapStateDescriptor<number, unknown[]>(`interval-join/${side}`)).keys();
    };
    h.op.processWatermark(116); // R1 is kept until 115 (t2 - lower)
    expect([buffered('left'), buffered('right')]).toEqual([[100], []]);
    h.op.processWatermark(121); // L1 until 120 (t1 + upper)
    expect([buffered('left'), buffered('right')]).toEqual([[], []]);
    h.send(1, 'a', 'R2', 125); // t1 + upper < 125: L1 is gone and would not match anyway
    h.send(0, 'a', 'L-late', 110); // behind the watermark: to the side output, not joined
    expect(h.out).toEqual(['L1+R1@105']);
    expect(h.late).toEqual(['late-left:L-late']);
    // The right input has no late side output: its late records are dropped and counted.
    expect(h.op.lateRecordsDropped).toBe(0);
    h.send(1, 'a', 'R-late-1', 100);
    h.send(1, 'a', 'R-late-2', 120);
    h.send(1, 'a', 'R-on-time', 121); // at the watermark is not behind it
    expect(h.op.lateRecordsDropped).toBe(2);
    expect(h.late).toEqual(['late-left:L-late']);
    h.op.processWatermark(1000);
    expect([buffered('left'), buffered('right')]).toEqual([[], []]);
  });
});
