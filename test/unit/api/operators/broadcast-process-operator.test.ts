import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from '../../../../runtime/api';
import {
  MapStateDescriptor,
  OutputTag,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
} from '../../../../runtime/api';
import { BroadcastProcessOperator } from '../../../../runtime/api/operators/broadcast-process-operator';
import type { OperatorContext } from '../../../../runtime/api/operators/stream-operator';
import { InvalidJobError } from '../../../../runtime/errors';
import { createJobGraph } from '../../../../runtime/graph/job-graph';
import { keyGroupRangeForSubtask } from '../../../../runtime/graph/key-groups';
import { streamGraphFromEnvironment } from '../../../../runtime/graph/stream-graph';
import { HeapKeyedStateBackend } from '../../../../runtime/state/heap/heap-keyed-state-backend';
import { OperatorStateBackend } from '../../../../runtime/state/operator-state-backend';

const LIMITS = new MapStateDescriptor<string, number>('limits');
const TOO_BIG = new OutputTag<string>('too-big');

interface Item {
  kind: string;
  size: number;
}

/** The operator over real backends, driven record by record; `restore` feeds it an operator snapshot. */
function harness(
  fn: KeyedBroadcastProcessFunction<unknown, Item, [string, number], string>,
  keyed: boolean,
  restore?: Uint8Array,
) {
  const keyedState = keyed
    ? new HeapKeyedStateBackend(128, keyGroupRangeForSubtask(128, 1, 0), 'b')
    : undefined;
  const operatorState = new OperatorStateBackend('b');
  if (restore) operatorState.restore([restore], 0, 1);
  const out: string[] = [];
  const side: string[] = [];
  const op = new BroadcastProcessOperator(
    fn,
    [LIMITS as MapStateDescriptor<unknown, unknown>],
    keyed ? (i) => (i as Item).kind : undefined,
  );
  op.output = { collect: (r) => out.push(r) };
  op.sideOutput = { emit: (tag, r) => side.push(`${tag}:${String(r)}`) };
  op.watermarks = { emitWatermark: () => undefined, emitStatus: () => undefined };
  op.initializeState({
    keyedStateBackend: keyedState,
    operatorStateBackend: operatorState,
    isRestored: !!restore,
  });
  const recordTimestamp: { value: number | undefined } = { value: undefined };
  const opened = op.open({
    operatorName: 'b',
    subtaskIndex: 0,
    parallelism: 1,
    keyedState,
    recordTimestamp,
    processingTime: { now: () => 0, schedule: () => () => undefined },
  } as unknown as OperatorContext);
  return { op, out, side, operatorState, opened };
}

const checkLimits: BroadcastProcessFunction<Item, [string, number], string> = {
  processElement(item, ctx, out) {
    const limit = ctx.getBroadcastState(LIMITS).get(item.kind);
    if (limit === undefined) return;
    if (item.size > limit) ctx.output(TOO_BIG, `${item.kind} ${item.size}`);
    else out.collect(`${item.kind} ${item.size} ok`);
  },
  processBroadcastElement([kind, limit], ctx) {
    if (limit < 0) ctx.getBroadcastState(LIMITS).remove(kind);
    else ctx.getBroadcastState(LIMITS).put(kind, limit);
  },
};

describe('broadcast process operator', () => {
  it('applies broadcast updates to later elements, with side outputs (non-keyed)', async () => {
    const h = harness(checkLimits, false);
    await h.opened;
    h.op.processElement({ kind: 'a', size: 5 }, 0);
    h.op.processElement(['a', 10], 1);
    h.op.processElement({ kind: 'a', size: 5 }, 0);
    h.op.processElement({ kind: 'a', size: 11 }, 0);
    h.op.processElement(['a', 3], 1);
    h.op.processElement({ kind: 'a', size: 5 }, 0);
    h.op.processElement(['a', -1], 1);
    h.op.processElement({ kind: 'a', size: 5 }, 0);
    expect(h.out).toEqual(['a 5 ok']);
    expect(h.side).toEqual(['too-big:a 11', 'too-big:a 5']);
  });

  it('refuses changes to the broadcast state in processElement with a clear error', async () => {
    const h = harness(
      {
        processElement: (item, ctx) =>
          (ctx.getBroadcastState(LIMITS) as unknown as { put(k: string, v: number): void }).put(item.kind, 1),
        processBroadcastElement: () => undefined,
      },
      false,
    );
    await h.opened;
    expect(() => h.op.processElement({ kind: 'a', size: 1 }, 0)).toThrow(InvalidJobError);
    expect(() => h.op.processElement({ kind: 'a', size: 1 }, 0)).toThrow(
      /broadcast state 'limits' is read-only in processElement \(put called\)/,
    );
  });

  it('names the declared states when a function asks for another one', async () => {
    const other = new MapStateDescriptor<string, number>('other');
    const h = harness(
      {
        processElement: () => undefined,
        processBroadcastElement: (_v, ctx) => void ctx.getBroadcastState(other),
      },
      false,
    );
    await h.opened;
    expect(() => h.op.processElement(['a', 1], 1)).toThrow(
      /no broadcast state 'other'; the broadcast stream declares 'limits'/,
    );
  });

  it('keyed: keyed state per key and broadcast state shared; the broadcast state is restored from a snapshot', async () => {
    const fn: KeyedBroadcastProcessFunction<unknown, Item, [string, number], string> = {
      processElement(item, ctx, out) {
        const total = ctx.getState<number>('total');
        total.update((total.value() ?? 0) + item.size);
        const limit = ctx.getBroadcastState(LIMITS).get(item.kind) ?? Infinity;
        out.collect(
          `${String(ctx.getCurrentKey())} ${total.value()!} ${total.value()! > limit ? 'over' : 'under'}`,
        );
      },
      processBroadcastElement([kind, limit], ctx) {
        ctx.getBroadcastState(LIMITS).put(kind, limit);
      },
    };
    const h = harness(fn, true);
    await h.opened;
    h.op.processElement(['a', 4], 1);
    h.op.processElement({ kind: 'a', size: 3 }, 0);
    h.op.processElement({ kind: 'b', size: 9 }, 0);
    h.op.processElement({ kind: 'a', size: 3 }, 0);
    expect(h.out).toEqual(['a 3 under', 'b 9 under', 'a 6 over']);
    const snapshot = await h.operatorState.snapshot(1).materialize();
    const back = harness(fn, true, snapshot);
    await back.opened;
    back.op.processElement({ kind: 'a', size: 5 }, 0);
    expect(back.out).toEqual(['a 5 over']);
  });
});

describe('applyToKeyedState', () => {
  const TOTAL = new ValueStateDescriptor<number>('total');

  it('reaches every key with that state from processBroadcastElement (keyed)', async () => {
    const fn: KeyedBroadcastProcessFunction<unknown, Item, [string, number], string> = {
      processElement(item, ctx) {
        const total = ctx.getState(TOTAL);
        total.update((total.value() ?? 0) + item.size);
      },
      processBroadcastElement([command, by], ctx, out) {
        ctx.applyToKeyedState(TOTAL, (key, total) => {
          if (command === 'scale') total.update(total.value()! * by);
          out.collect(`${String(key)}=${total.value()!}`);
        });
      },
    };
    const h = harness(fn, true);
    await h.opened;
    for (const [kind, size] of [
      ['a', 1],
      ['b', 2],
      ['a', 3],
      ['c', 5],
    ] as const)
      h.op.processElement({ kind, size }, 0);
    h.op.processElement(['scale', 10], 1);
    expect(h.out.sort()).toEqual(['a=40', 'b=20', 'c=50']);
  });

  it('is refused with a clear error on a non-keyed stream', async () => {
    const h = harness(
      {
        processElement: () => undefined,
        processBroadcastElement: (_v, ctx) => ctx.applyToKeyedState(TOTAL, () => undefined),
      },
      false,
    );
    await h.opened;
    expect(() => h.op.processElement(['x', 1], 1)).toThrow(
      /uses applyToKeyedState, which only a keyed stream/,
    );
  });
});

describe('broadcast state API', () => {
  const env = () => new StreamExecutionEnvironment({ parallelism: 2 });

  it('connects a (keyed) stream to a broadcast stream through a broadcast edge into input 1', () => {
    const e = env();
    const rules = e.fromSequence(1, 3).name('rules').broadcast(LIMITS);
    e.fromSequence(1, 10)
      .name('items')
      .keyBy((x) => x % 3)
      .connect(rules)
      .process({ processElement: () => undefined, processBroadcastElement: () => undefined })
      .name('check')
      .print('sink');
    const g = createJobGraph(streamGraphFromEnvironment('test', e));
    const check = g.vertices.find((v) => v.operators.some((o) => o.name === 'check'))!;
    const edges = g.edges.filter((edge) => edge.targetVertex === check.id);
    expect(edges.map((edge) => [edge.targetInput, edge.partitioner]).sort()).toEqual([
      [0, 'hash'],
      [1, 'broadcast'],
    ]);
    expect(check.operators.find((o) => o.name === 'check')).toMatchObject({
      kind: 'broadcastProcess',
      keyed: true,
    });
  });

  it('keeps broadcast() without descriptors as the broadcast partitioner', () => {
    const e = env();
    const s = e.fromSequence(1, 3).broadcast();
    expect(s.heads[0]!.partitioner.kind).toBe('broadcast');
  });

  it('refuses bad arguments with errors that name the problem', () => {
    const e = env();
    const s = e.fromSequence(1, 3);
    expect(() =>
      s.broadcast({ name: 'x', kind: 'list' } as unknown as MapStateDescriptor<string, number>),
    ).toThrow(/broadcast\(\.\.\.\) takes MapStateDescriptors/);
    expect(() => s.broadcast(LIMITS, new MapStateDescriptor('limits'))).toThrow(
      /names broadcast state 'limits' twice/,
    );
    const connected = s.connect(s.broadcast(LIMITS));
    expect(() => connected.process({ processElement: () => undefined } as never)).toThrow(
      /needs a function object with processBroadcastElement\(\)/,
    );
    expect(() => s.connect(new StreamExecutionEnvironment({}).fromSequence(1, 2).broadcast(LIMITS))).toThrow(
      /different environments/,
    );
  });
});
