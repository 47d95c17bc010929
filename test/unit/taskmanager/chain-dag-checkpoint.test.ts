import type { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import { SOURCE_READER_STATE } from '../../../runtime/api/operators/source-sink-operators';
import { decodeOperatorSnapshot } from '../../../runtime/state/snapshot-format';
import { sleep } from '../../../runtime/util/wait';
import type { TaskHarnessOptions } from '../../helpers/task-harness';
import { TaskHarness, restoreFrom } from '../../helpers/task-harness';

/** Chains that are small DAGs (several sources, a union inside) snapshot as one unit. */

let open: TaskHarness[] = [];
function start(options: TaskHarnessOptions): TaskHarness {
  const h = new TaskHarness({ checkpointing: { mode: 'exactly-once' }, ...options }).start();
  open.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(open.map((h) => h.dispose()));
  open = [];
});

function position(bytes: Uint8Array | undefined): { next: number } {
  if (!bytes) throw new Error('no operator state for the source');
  return new Map(decodeOperatorSnapshot(bytes)).get(SOURCE_READER_STATE)![0] as { next: number };
}

describe('checkpoints of chains that are DAGs', () => {
  it('two sources unioned inside one chain: one snapshot of both positions, one barrier after both', async () => {
    const build = (env: StreamExecutionEnvironment): void => {
      const even = env.fromGenerator(10_000_000, (n) => 2 * n).uid('even');
      const odd = env.fromGenerator(10_000_000, (n) => 2 * n + 1).uid('odd');
      void even
        .union(odd)
        .map((x) => x)
        .uid('both')
        .rebalance()
        .collect();
    };
    const h = start({ build, outputCredit: 4 });
    expect(h.vertex.operators.map((o) => o.uid)).toEqual(['even', 'odd', 'both']);
    const out = h.outputs[0]!;
    await h.until(() => out.records.length > 0, 'first records');
    h.trigger(1);
    const ack = await h.ack(1);
    const evens = position(ack.operators.even?.operator).next;
    const odds = position(ack.operators.odd?.operator).next;
    await h.until(() => out.recordsBeforeBarrier(1) !== undefined, 'the barrier');
    const before = out.recordsBeforeBarrier(1) as number[];
    expect(before.filter((x) => x % 2 === 0)).toEqual(Array.from({ length: evens }, (_, i) => 2 * i));
    expect(before.filter((x) => x % 2 === 1)).toEqual(Array.from({ length: odds }, (_, i) => 2 * i + 1));
    await h.dispose();

    const r = start({ build, restore: restoreFrom(ack) });
    await r.until(() => {
      const recs = r.outputs[0]!.records as number[];
      return recs.some((x) => x % 2 === 0) && recs.some((x) => x % 2 === 1);
    }, 'records of both sources after restore');
    const recs = r.outputs[0]!.records as number[];
    expect(recs.find((x) => x % 2 === 0)).toBe(2 * evens);
    expect(recs.find((x) => x % 2 === 1)).toBe(2 * odds + 1);
  });

  it('a source and a network input in one chain: the source waits for the network barrier (exactly-once)', async () => {
    const build = (env: StreamExecutionEnvironment): void => {
      const local = env.fromGenerator(10_000_000, (n) => n).uid('local');
      const remote = env.fromCollection<number>([]).uid('remote').rebalance();
      void local
        .union(remote)
        .map((x) => x)
        .uid('mixed')
        .rebalance()
        .collect();
    };
    const h = start({
      build,
      vertex: (v) => v.operators.some((o) => o.uid === 'mixed'),
      outputCredit: 64,
    });
    expect(h.vertex.operators.map((o) => o.uid)).toEqual(['local', 'mixed']);
    const out = h.outputs[0]!;
    const ch = h.inputs[0]!;
    ch.send(-1);
    await h.until(() => out.records.includes(-1) && out.records.length > 10, 'records of both inputs');
    h.trigger(1);
    // A window in which an unheld source would go on emitting before the network barrier.
    await sleep(50);
    ch.send(-2);
    ch.barrier(1);
    ch.send(-3);
    const ack = await h.ack(1);
    const k = position(ack.operators.local?.operator).next;
    await h.until(() => out.recordsBeforeBarrier(1) !== undefined && out.records.includes(-3), 'the barrier');
    const before = out.recordsBeforeBarrier(1) as number[];
    expect(before.filter((x) => x >= 0)).toEqual(Array.from({ length: k }, (_, i) => i));
    expect(before.filter((x) => x < 0)).toEqual([-1, -2]);
    expect(out.records.indexOf(-3)).toBeGreaterThanOrEqual(before.length);
  });
});
