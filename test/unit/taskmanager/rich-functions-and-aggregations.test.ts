import type { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import type { RuntimeContext, ValueState } from '../../../runtime/api/functions';
import type { RichMapFunction } from '../../../runtime/api/rich-functions';
import type { StateBackendKind } from '../../../runtime/state/keyed-state-backend';
import { ValueStateDescriptor } from '../../../runtime/state/state-descriptors';
import type { TaskHarnessOptions } from '../../helpers/task-harness';
import { TaskHarness, restoreFrom } from '../../helpers/task-harness';

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

interface Rec {
  readonly k: string;
  readonly price: number;
  readonly seq: number;
}

const recs = (prices: [string, number][]): Rec[] => prices.map(([k, price], seq) => ({ k, price, seq }));

/** What Flink emits for the last record of `list` (the key's records so far), written from the definitions. */
const reference = {
  min: (list: Rec[]) => ({ ...list[0]!, price: Math.min(...list.map((r) => r.price)) }),
  maxBy: (list: Rec[]) => list.find((r) => r.price === Math.max(...list.map((x) => x.price))),
};

describe('rolling aggregations: their state is checkpointed and restored', () => {
  const cases: [keyof typeof reference, StateBackendKind, StateBackendKind][] = [
    ['min', 'heap', 'kv'],
    ['maxBy', 'kv', 'heap'],
  ];
  it.each(cases)(
    '%s: a snapshot on %s restores on %s and the aggregate continues',
    async (kind, from, to) => {
      const job = (backend: StateBackendKind) => ({
        settings: { stateBackend: backend },
        vertex: (v: { operators: readonly { uid?: string }[] }) => v.operators.some((o) => o.uid === 'agg'),
        build: (env: StreamExecutionEnvironment): void => {
          const keyed = env.fromCollection<Rec>([]).keyBy((r) => r.k);
          const agg = kind === 'min' ? keyed.min('price') : keyed.maxBy('price');
          void agg.uid('agg').collect().disableChaining();
        },
      });
      const before = recs([
        ['a', 5],
        ['b', 3],
        ['a', 2],
        ['a', 7],
        ['b', 3],
        ['c', 9],
      ]);
      const lost = recs([['a', 0]]); // after the barrier: not in the snapshot
      const after = recs([
        ['a', 4],
        ['b', 8],
        ['a', 1],
        ['c', 9],
        ['d', 6],
      ]).map((r, i) => ({ ...r, seq: 100 + i }));

      const first = start(job(from));
      for (const r of before) first.inputs[0]!.send(r);
      first.inputs[0]!.barrier(1);
      for (const r of lost) first.inputs[0]!.send(r);
      const ack = await first.ack(1);
      await first.until(() => first.outputs[0]!.records.length === before.length + 1, 'all records');
      await first.dispose();

      const second = start({ ...job(to), restore: restoreFrom(ack) });
      for (const r of after) second.inputs[0]!.send(r);
      await second.until(() => second.outputs[0]!.records.length === after.length, 'records after restore');
      const history = [...before];
      const expected = after.map((r) => {
        history.push(r);
        return reference[kind](history.filter((h) => h.k === r.k));
      });
      expect(second.outputs[0]!.records).toEqual(expected);
    },
  );
});

/** A rich map counting per key in state registered in `open`; records its lifecycle in `events`. */
class CountingMap implements RichMapFunction<Rec, string> {
  readonly events: string[] = [];
  info: Record<string, unknown> = {};
  private count!: ValueState<number>;

  open(ctx: RuntimeContext): void {
    this.events.push('open');
    const { subtaskIndex, parallelism, taskName, attemptNumber, jobParameters, maxParallelism } = ctx;
    this.info = { subtaskIndex, parallelism, taskName, attemptNumber, jobParameters, maxParallelism };
    this.count = ctx.getState(new ValueStateDescriptor<number>('count', 0));
  }
  map(r: Rec): string {
    this.count.update(this.count.value()! + 1);
    return `${r.k}:${this.count.value()}`;
  }
  close(): void {
    this.events.push('close');
  }
}

describe('rich functions: open with runtime info and keyed state, close at the end and on cancel', () => {
  const job = (fn: CountingMap) => ({
    vertex: (v: { operators: readonly { uid?: string }[] }) => v.operators.some((o) => o.uid === 'm'),
    build: (env: StreamExecutionEnvironment): void =>
      void env
        .fromCollection<Rec>([])
        .keyBy((r) => r.k)
        .map(fn)
        .uid('m')
        .collect()
        .disableChaining(),
  });

  it('open gets task info and state scoped to each record key; close runs once after the end of input', async () => {
    const fn = new CountingMap();
    // Without checkpointing the task ends right after its input (no final checkpoint to wait for).
    const h = start({ ...job(fn), checkpointing: undefined });
    const input = recs([
      ['a', 1],
      ['b', 1],
      ['a', 1],
      ['c', 1],
      ['a', 1],
      ['b', 1],
    ]);
    for (const r of input) h.inputs[0]!.send(r);
    h.inputs[0]!.endOfPartition();
    await expect(h.ended()).resolves.toBe('finished');
    const counts = new Map<string, number>();
    const expected = input.map((r) => `${r.k}:${counts.set(r.k, (counts.get(r.k) ?? 0) + 1).get(r.k)}`);
    expect(h.outputs[0]!.records).toEqual(expected);
    expect(fn.events).toEqual(['open', 'close']);
    expect(fn.info).toEqual({
      subtaskIndex: 0,
      parallelism: 1,
      taskName: `${h.vertex.name} (1/1)`,
      attemptNumber: 0,
      jobParameters: {},
      maxParallelism: expect.any(Number),
    });
  });

  it('close runs once when the task is canceled', async () => {
    const fn = new CountingMap();
    const h = start(job(fn));
    h.inputs[0]!.send({ k: 'a', price: 1, seq: 0 });
    await h.until(() => h.outputs[0]!.records.length === 1, 'a record');
    expect(fn.events).toEqual(['open']);
    h.control({ type: 'cancel' });
    await expect(h.ended()).resolves.toBe('canceled');
    expect(fn.events).toEqual(['open', 'close']);
  });
});
