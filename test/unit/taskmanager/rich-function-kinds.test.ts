import type { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import type { Collector, ProcessContext, RuntimeContext, ValueState } from '../../../runtime/api/functions';
import { TumblingEventTimeWindows } from '../../../runtime/api/windowing/window-assigners';
import type { WindowContext } from '../../../runtime/api/windowing/windowed-stream';
import { ValueStateDescriptor } from '../../../runtime/state/state-descriptors';
import { TaskHarness } from '../../helpers/task-harness';

let open: TaskHarness[] = [];
afterEach(async () => {
  await Promise.all(open.map((h) => h.dispose()));
  open = [];
});

/**
 * A lifecycle recorder mixed into each function object: `open` notes the task info and, where
 * the input is keyed, registers a per-key counter; `close` notes the end. The method under test
 * reports each record through `count(record)`.
 */
function recorder(keyed: boolean) {
  const r = {
    events: [] as string[],
    info: undefined as { subtaskIndex: number; parallelism: number; attemptNumber: number } | undefined,
    counter: undefined as ValueState<number> | undefined,
    open(ctx: RuntimeContext): void {
      r.events.push('open');
      r.info = {
        subtaskIndex: ctx.subtaskIndex,
        parallelism: ctx.parallelism,
        attemptNumber: ctx.attemptNumber,
      };
      if (keyed) r.counter = ctx.getState(new ValueStateDescriptor<number>('n', 0));
    },
    close(): void {
      r.events.push('close');
    },
    /** The record's running count for its key (keyed), or the record itself. */
    count(v: string): string {
      if (!r.counter) return v;
      r.counter.update(r.counter.value()! + 1);
      return `${v}#${r.counter.value()}`;
    },
  };
  return r;
}

type Rec = ReturnType<typeof recorder>;
const key = (v: string): string => v;

/** Each function kind: the job around it (the function's vertex has uid 'f') and whether it is keyed. */
const kinds: [string, boolean, (env: StreamExecutionEnvironment, r: Rec) => void][] = [
  [
    'map',
    false,
    (env, r) =>
      void env
        .fromCollection<string>([])
        .rebalance()
        .map({ ...r, map: (v: string) => r.count(v) })
        .uid('f')
        .collect()
        .disableChaining(),
  ],
  [
    'keyed map',
    true,
    (env, r) =>
      void env
        .fromCollection<string>([])
        .keyBy(key)
        .map({ ...r, map: (v: string) => r.count(v) })
        .uid('f')
        .collect()
        .disableChaining(),
  ],
  [
    'flatMap',
    false,
    (env, r) =>
      void env
        .fromCollection<string>([])
        .rebalance()
        .flatMap({ ...r, flatMap: (v: string, out: Collector<string>) => out.collect(r.count(v)) })
        .uid('f')
        .collect()
        .disableChaining(),
  ],
  [
    'keyed filter',
    true,
    (env, r) =>
      void env
        .fromCollection<string>([])
        .keyBy(key)
        .filter({ ...r, filter: (v: string) => r.count(v) === `${v}#1` })
        .uid('f')
        .collect()
        .disableChaining(),
  ],
  [
    'process',
    false,
    (env, r) =>
      void env
        .fromCollection<string>([])
        .rebalance()
        .process<string>({
          ...r,
          processElement: (v: string, _ctx: ProcessContext, out: Collector<string>) =>
            out.collect(r.count(v)),
        })
        .uid('f')
        .collect()
        .disableChaining(),
  ],
  [
    'keyed process',
    true,
    (env, r) =>
      void env
        .fromCollection<string>([])
        .keyBy(key)
        .process<string>({
          ...r,
          processElement: (v: string, _ctx: ProcessContext, out: Collector<string>) =>
            out.collect(r.count(v)),
        })
        .uid('f')
        .collect()
        .disableChaining(),
  ],
  [
    'coMap',
    false,
    (env, r) =>
      void env
        .fromCollection<string>([])
        .rebalance()
        .connect(env.fromCollection<string>([]).rebalance())
        .map({ ...r, map1: (v: string) => r.count(v), map2: (v: string) => r.count(v) })
        .uid('f')
        .collect()
        .disableChaining(),
  ],
  [
    'keyed coFlatMap',
    true,
    (env, r) =>
      void env
        .fromCollection<string>([])
        .connect(env.fromCollection<string>([]))
        .keyBy(key, key)
        .flatMap({
          ...r,
          flatMap1: (v: string, out: Collector<string>) => out.collect(r.count(v)),
          flatMap2: (v: string, out: Collector<string>) => out.collect(r.count(v)),
        })
        .uid('f')
        .collect()
        .disableChaining(),
  ],
];

describe.each(kinds)('a rich %s function', (kind, keyed, build) => {
  const isF = (v: { operators: readonly { uid?: string }[] }): boolean =>
    v.operators.some((o) => o.uid === 'f');

  it('is opened with task info (and keyed state), sees every record, and is closed once at the end', async () => {
    // Each harness builds the job once; the recorder it saw is the one to check.
    const recorders: Rec[] = [];
    const h = new TaskHarness({
      vertex: isF,
      build: (env) => build(env, recorders[recorders.push(recorder(keyed)) - 1]!),
    }).start();
    open.push(h);
    const r = recorders[0]!;
    const input = ['a', 'b', 'a', 'c', 'a'];
    for (const v of input) h.inputs[0]!.send(v);
    for (const ch of h.inputs) ch.endOfPartition();
    await expect(h.ended()).resolves.toBe('finished');
    const seen = new Map<string, number>();
    const expected = input.map((v) => {
      seen.set(v, (seen.get(v) ?? 0) + 1);
      return keyed ? `${v}#${seen.get(v)}` : v;
    });
    // The keyed filter keeps each key's first record (its counter at 1).
    const kept = kind === 'keyed filter' ? ['a', 'b', 'c'] : expected;
    expect(h.outputs[0]!.records).toEqual(kept);
    expect(r.events).toEqual(['open', 'close']);
    expect(r.info).toEqual({ subtaskIndex: 0, parallelism: 1, attemptNumber: 0 });
  });

  it('is closed once when the task is canceled', async () => {
    const recorders: Rec[] = [];
    const h = new TaskHarness({
      vertex: isF,
      build: (env) => build(env, recorders[recorders.push(recorder(keyed)) - 1]!),
    }).start();
    open.push(h);
    h.inputs[0]!.send('a');
    await h.until(() => h.outputs[0]!.records.length === 1, 'a record');
    h.control({ type: 'cancel' });
    await expect(h.ended()).resolves.toBe('canceled');
    expect(recorders[0]!.events).toEqual(['open', 'close']);
  });
});

describe('a rich window process function', () => {
  it('is opened with keyed state before the windows fire and closed once at the end', async () => {
    const r = recorder(true);
    const fired: string[] = [];
    const h = new TaskHarness({
      vertex: (v) => v.operators.some((o) => o.uid === 'f'),
      build: (env) =>
        void env
          .fromCollection<string>([])
          .keyBy(key)
          .window(TumblingEventTimeWindows.of(10))
          .process<string>({
            ...r,
            // State registered in open is per key: here it counts the key's windows.
            process: (k: string, ctx: WindowContext, elements: readonly string[], out: Collector<string>) => {
              fired.push(k);
              out.collect(`${r.count(k)} [${ctx.window.start},${ctx.window.end}) ${elements.length}`);
            },
          })
          .uid('f')
          .collect()
          .disableChaining(),
    }).start();
    open.push(h);
    h.inputs[0]!.sendAt(['a', 'b', 'a', 'a', 'b'], [1, 2, 5, 12, 15]);
    h.inputs[0]!.watermark(100);
    h.inputs[0]!.endOfPartition();
    await expect(h.ended()).resolves.toBe('finished');
    // Reference: windows [0,10) and [10,20) per key, counted per key in order of firing.
    expect([...h.outputs[0]!.records].sort()).toEqual([
      'a#1 [0,10) 2',
      'a#2 [10,20) 1',
      'b#1 [0,10) 1',
      'b#2 [10,20) 1',
    ]);
    expect(fired).toHaveLength(4);
    expect(r.events).toEqual(['open', 'close']);
  });
});
