/**
 * The async wait operator's checkpoint (issue 11, mapAsync): records whose calls are in flight
 * (and completed results held behind the head in ordered mode) are its operator state at the
 * barrier; results emitted before the barrier are not. After a restore at another parallelism
 * the records are split among the new subtasks and each is called again exactly once. The task
 * runs in the test's thread (TaskHarness), so the test settles each call itself.
 */
import type { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import { decodeOperatorSnapshot } from '../../../runtime/state/snapshot-format';
import type { TaskHarnessOptions } from '../../helpers/task-harness';
import { TaskHarness, restoreFrom } from '../../helpers/task-harness';

/** Calls in flight by input value: the test settles them. */
let calls = new Map<number, (result: string) => void>();
let open: TaskHarness[] = [];

function build(parallelism: number) {
  return (env: StreamExecutionEnvironment): void =>
    void env
      .fromSequence(0, 100)
      .rebalance()
      .mapAsync<string>((v) => new Promise<string>((resolve) => calls.set(v, resolve)), {
        capacity: 10,
        timeoutMs: Infinity,
      })
      .uid('async')
      .setParallelism(parallelism)
      .rebalance()
      .collect();
}

function start(options: Omit<TaskHarnessOptions, 'vertex'>): TaskHarness {
  const h = new TaskHarness({
    checkpointing: { mode: 'exactly-once' },
    vertex: (v) => v.operators.some((o) => o.id === 'async'),
    ...options,
  }).start();
  open.push(h);
  return h;
}

beforeEach(() => (calls = new Map()));
afterEach(async () => {
  await Promise.all(open.map((h) => h.dispose()));
  open = [];
});

it('checkpoints the records not yet emitted and calls them again, split, after a rescale', async () => {
  const h = start({ build: build(1) });
  h.inputs[0]!.send(0, 1, 2, 3, 4, 5);
  await h.until(() => calls.size === 6, 'six calls in flight');
  calls.get(0)!('r0');
  calls.get(2)!('r2'); // completed, but held behind 1 (ordered)
  await h.until(() => h.outputs[0]!.records.length === 1, 'the result of 0');
  h.inputs[0]!.barrier(1);
  const ack = await h.ack(1);
  await h.until(() => h.outputs[0]!.recordsBeforeBarrier(1) !== undefined, 'the barrier downstream');
  expect(h.outputs[0]!.recordsBeforeBarrier(1)).toEqual(['r0']);
  const lists = new Map(decodeOperatorSnapshot(ack.operators.async!.operator!));
  expect(lists.get('_async_wait_operator_state_')).toEqual([[1], [2], [3], [4], [5]]);
  await h.dispose();

  calls = new Map();
  const restored = [0, 1].map((subtaskIndex) =>
    start({ build: build(2), subtaskIndex, restore: restoreFrom(ack, 1) }),
  );
  await restored[0]!.until(() => calls.size === 5, 'the five records called again');
  expect([...calls.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
  for (const [v, resolve] of calls) resolve(`again ${v}`);
  await restored[0]!.until(
    () => restored.every((r) => r.outputs[0]!.records.length > 0),
    'results from both subtasks',
  );
  await restored[1]!.until(
    () => restored.reduce((n, r) => n + r.outputs[0]!.records.length, 0) === 5,
    'all five results',
  );
  // Split-distribute: the first subtask takes the first part of the list, in order.
  expect(restored[0]!.outputs[0]!.records).toEqual(['again 1', 'again 2']);
  expect(restored[1]!.outputs[0]!.records).toEqual(['again 3', 'again 4', 'again 5']);
});

it('a full queue pauses the input: the barrier behind it waits until a slot frees', async () => {
  const h = start({ build: build(1) });
  h.inputs[0]!.send(...Array.from({ length: 12 }, (_, i) => i));
  h.inputs[0]!.barrier(1);
  await h.until(() => calls.size === 10, 'ten calls (the capacity)');
  // Two records wait uncalled; nothing more is taken, so the barrier is not read. (Nothing to
  // poll for: the test gives the task a moment in which it must not move.)
  await new Promise((r) => setTimeout(r, 50));
  expect(calls.size).toBe(10);
  expect(h.acks()).toEqual([]);
  for (let v = 0; v < 4; v++) calls.get(v)!(`r${v}`);
  await h.until(() => calls.size === 12, 'the waiting two called');
  const ack = await h.ack(1);
  const lists = new Map(decodeOperatorSnapshot(ack.operators.async!.operator!));
  expect(lists.get('_async_wait_operator_state_')).toEqual(Array.from({ length: 8 }, (_, i) => [i + 4]));
  await h.until(() => h.outputs[0]!.recordsBeforeBarrier(1) !== undefined, 'the barrier downstream');
  expect(h.outputs[0]!.recordsBeforeBarrier(1)).toEqual(['r0', 'r1', 'r2', 'r3']);
});
