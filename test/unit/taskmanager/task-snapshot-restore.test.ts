import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import { SOURCE_READER_STATE } from '../../../runtime/api/operators/source-sink-operators';
import { decodeOperatorSnapshot } from '../../../runtime/state/snapshot-format';
import { ListStateDescriptor } from '../../../runtime/state/state-descriptors';
import type { StateBackendKind } from '../../../runtime/state/keyed-state-backend';
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

/** The position a source stored in its operator state. */
function sourcePosition(bytes: Uint8Array | undefined): unknown {
  if (!bytes) throw new Error('the ack has no operator state for the source');
  const lists = new Map(decodeOperatorSnapshot(bytes));
  const positions = lists.get(SOURCE_READER_STATE);
  expect(positions).toHaveLength(1);
  return positions![0];
}

/**
 * Takes checkpoint 1 of a running source task (stopped mid-stream: its consumer grants no more
 * than 4 buffers of credit until the ack came, so even a short file cannot end first), checks that the barrier follows exactly the records read before the snapshot,
 * then restores a new task from it and returns the first records it emits.
 */
async function checkpointAndResume(
  build: (env: StreamExecutionEnvironment) => void,
  expectedFirst: number,
): Promise<{ before: unknown[]; resumed: unknown[]; position: unknown }> {
  const h = start({ build, outputCredit: 4, holdOutputCredit: true });
  const out = h.outputs[0]!;
  await h.until(() => out.records.length > 0, 'first records');
  h.trigger(1);
  const ack = await h.ack(1);
  out.releaseCredit();
  const position = sourcePosition(ack.operators.src?.operator);
  await h.until(() => out.recordsBeforeBarrier(1) !== undefined, 'the barrier downstream');
  const before = out.recordsBeforeBarrier(1)!;
  await h.dispose();

  const restored = start({ build, restore: restoreFrom(ack) });
  await restored.until(() => restored.outputs[0]!.records.length >= expectedFirst, 'records after restore');
  return { before, resumed: restored.outputs[0]!.records.slice(0, expectedFirst), position };
}

describe('source positions', () => {
  it('a generator resumes at the record after the last one before the barrier', async () => {
    const build = (env: StreamExecutionEnvironment): void =>
      void env
        .fromGenerator(10_000_000, (n) => n)
        .uid('src')
        .rebalance()
        .collect();
    const { before, resumed, position } = await checkpointAndResume(build, 3);
    const k = before.length;
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(10_000_000);
    expect(before).toEqual(Array.from({ length: k }, (_, i) => i));
    // The reader's one range, as a split: where it stopped and where its range ends.
    expect(position).toEqual({ next: k, end: 10_000_000 });
    expect(resumed).toEqual([k, k + 1, k + 2]);
  });

  it('a collection resumes at the item after the last one before the barrier', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => `item-${i}`);
    const build = (env: StreamExecutionEnvironment): void =>
      void env.fromCollection(items).uid('src').rebalance().collect();
    const { before, resumed } = await checkpointAndResume(build, 2);
    const k = before.length;
    expect(before).toEqual(items.slice(0, k));
    expect(resumed).toEqual(items.slice(k, k + 2));
  });

  it('file lines resume at the byte offset of the line after the barrier', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-lines-'));
    try {
      const file = join(dir, 'lines.txt');
      const lines = Array.from({ length: 200_000 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}`);
      writeFileSync(file, lines.join('\n') + '\n');
      const build = (env: StreamExecutionEnvironment): void =>
        void env.readTextFile(file).uid('src').rebalance().collect();
      const { before, resumed, position } = await checkpointAndResume(build, 2);
      const k = before.length;
      expect(k).toBeLessThan(lines.length);
      expect(before).toEqual(lines.slice(0, k));
      const offset = Buffer.byteLength(lines.slice(0, k).join('\n') + '\n');
      expect(position).toEqual({ offset });
      expect(resumed).toEqual(lines.slice(k, k + 2));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface Rec {
  readonly k: string;
}

function countingJob(backend: StateBackendKind) {
  return {
    settings: { stateBackend: backend },
    vertex: (v: { operators: readonly { uid?: string }[] }) => v.operators.some((o) => o.uid === 'counter'),
    build: (env: StreamExecutionEnvironment): void =>
      void env
        .fromCollection<Rec>([])
        .keyBy((r) => r.k)
        .process<string>((r, ctx, out) => {
          const count = ctx.getState<number>('count');
          const seen = ctx.getListState<string>(new ListStateDescriptor<string>('seen'));
          const next = (count.value() ?? 0) + 1;
          count.update(next);
          seen.add(`#${next}`);
          out.collect(`${r.k}:${next}:${seen.get().join('')}`);
        })
        .uid('counter')
        .collect()
        .disableChaining(),
  };
}

describe('keyed state through the chain', () => {
  const pairs: [StateBackendKind, StateBackendKind][] = [
    ['heap', 'heap'],
    ['kv', 'kv'],
    ['heap', 'kv'],
    ['kv', 'heap'],
  ];
  it.each(pairs)('a snapshot on %s restores on %s', async (from, to) => {
    const first = start(countingJob(from));
    const ch = first.inputs[0]!;
    for (const k of ['a', 'b', 'a', 'c', 'a']) ch.send({ k });
    ch.barrier(1);
    ch.send({ k: 'a' }); // after the barrier: not in the snapshot
    const ack = await first.ack(1);
    await first.until(() => first.outputs[0]!.records.length === 6, 'all records');
    await first.dispose();

    const second = start({ ...countingJob(to), restore: restoreFrom(ack) });
    for (const k of ['a', 'b', 'd']) second.inputs[0]!.send({ k });
    await second.until(() => second.outputs[0]!.records.length === 3, 'records after restore');
    expect(second.outputs[0]!.records).toEqual(['a:4:#1#2#3#4', 'b:2:#1#2', 'd:1:#1']);
  });

  it('cancel frees the kv backend (its files are removed) before the task ends', async () => {
    const h = start(countingJob('kv'));
    h.inputs[0]!.send({ k: 'a' });
    await h.until(() => h.outputs[0]!.records.length === 1, 'a record');
    const taskDir = join(h.stateDir, 'task');
    expect(readdirSync(taskDir).length).toBeGreaterThan(0);
    h.control({ type: 'cancel' });
    await expect(h.ended()).resolves.toBe('canceled');
    const left = existsSync(taskDir) ? readdirSync(taskDir) : [];
    expect(left).toEqual([]);
  });
});
