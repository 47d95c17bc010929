import type { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import type { CheckpointingMode } from '../../../runtime/checkpoint/checkpointing-mode';
import { KeyedSnapshotReader } from '../../../runtime/state/snapshot-format';
import { decodeValue } from '../../../runtime/state/value-codec';
import { TaskHarness } from '../../helpers/task-harness';

/**
 * Barrier alignment in a task with two input channels, driven in-thread: a keyed counter
 * (ValueState per key) that emits `key:count` for each record to a downstream channel.
 */

interface Rec {
  readonly k: string;
}

function countingJob(env: StreamExecutionEnvironment): void {
  env
    .fromCollection<Rec>([])
    .keyBy((r) => r.k)
    .process<string>((r, ctx, out) => {
      const count = ctx.getState<number>('count');
      const next = (count.value() ?? 0) + 1;
      count.update(next);
      out.collect(`${r.k}:${next}`);
    })
    .uid('counter')
    .collect()
    .disableChaining();
}

function harness(mode: CheckpointingMode, channels = 2): TaskHarness {
  return new TaskHarness({
    build: countingJob,
    vertex: (v) => v.operators.some((o) => o.uid === 'counter'),
    channelsPerInput: channels,
    checkpointing: { mode },
  }).start();
}

/** Counts per key in the counter's keyed snapshot. */
function countsIn(bytes: Uint8Array | undefined): Record<string, number> {
  if (!bytes) throw new Error('the ack has no keyed state for the counter');
  const counts: Record<string, number> = {};
  for (const [, [, key, value]] of KeyedSnapshotReader.read(bytes).entries({ start: 0, end: 1 << 15 })) {
    counts[key as string] = decodeValue(value) as number;
  }
  return counts;
}

let open: TaskHarness[] = [];
function track(h: TaskHarness): TaskHarness {
  open.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(open.map((h) => h.dispose()));
  open = [];
});

describe('barrier alignment, exactly-once', () => {
  it('holds a channel that delivered the barrier until the other one did, and snapshots in between', async () => {
    const h = track(harness('exactly-once'));
    const [ch0, ch1] = h.inputs as [(typeof h.inputs)[0], (typeof h.inputs)[0]];
    const out = h.outputs[0]!;
    ch0.send({ k: 'a' });
    ch0.barrier(1);
    ch0.send({ k: 'a' }); // after the barrier: must wait
    ch1.send({ k: 'b' });
    await h.until(() => out.records.length >= 2, 'records before the barrier');
    ch1.send({ k: 'b' });
    await h.until(() => out.records.includes('b:2'), 'the second record of the open channel');
    expect(out.records).not.toContain('a:2');
    // The held channel's producer got credit back only for what was processed (after the initial 8).
    await h.until(() => ch0.creditsReturned === 8 + 1, 'the credit for the first record');
    expect(ch0.creditsReturned).toBe(8 + 1);
    expect(h.acks()).toHaveLength(0);

    ch1.barrier(1);
    const ack = await h.ack(1);
    expect(countsIn(ack.operators.counter?.keyed)).toEqual({ a: 1, b: 2 });
    await h.until(() => out.records.includes('a:2'), 'the held record after the release');
    expect(out.recordsBeforeBarrier(1)?.sort()).toEqual(['a:1', 'b:1', 'b:2']);
    expect(out.records.at(-1)).toBe('a:2');
    expect(ack.timings.alignmentMs).toBeGreaterThanOrEqual(0);
    await h.until(() => ch0.creditsReturned === 8 + 2, 'the credit for the held record');
  });

  it('forwards each barrier once and in checkpoint order', async () => {
    const h = track(harness('exactly-once'));
    const out = h.outputs[0]!;
    for (const id of [1, 2, 3]) {
      h.inputs[0]!.send({ k: 'x' });
      for (const ch of h.inputs) ch.barrier(id);
    }
    await h.ack(3);
    const barriers = (): number[] =>
      out.events.flatMap((e) => (e.kind === 'barrier' ? [e.checkpointId] : []));
    await h.until(() => barriers().length === 3, 'three barriers downstream');
    expect(barriers()).toEqual([1, 2, 3]);
    expect(h.acks().map((a) => a.checkpointId)).toEqual([1, 2, 3]);
    expect(countsIn(h.acks()[2]!.operators.counter?.keyed)).toEqual({ x: 3 });
  });

  it('gives up a checkpoint superseded by a newer barrier, and ignores its late barriers', async () => {
    const h = track(harness('exactly-once'));
    const [ch0, ch1] = [h.inputs[0]!, h.inputs[1]!];
    const out = h.outputs[0]!;
    ch0.barrier(1);
    ch0.send({ k: 'a' });
    ch0.barrier(2);
    ch1.send({ k: 'b' });
    ch1.barrier(2); // the upstream of ch1 skipped checkpoint 1
    await h.until(() => h.declined().includes(1), 'checkpoint 1 declined');
    ch1.barrier(1); // late: ignored
    ch1.send({ k: 'b' });
    const ack = await h.ack(2);
    expect(countsIn(ack.operators.counter?.keyed)).toEqual({ a: 1, b: 1 });
    await h.until(() => out.records.includes('b:2') && out.events.length > 0, 'records after checkpoint 2');
    expect(h.acks().map((a) => a.checkpointId)).toEqual([2]);
    expect(out.events.filter((e) => e.kind === 'barrier').map((e) => e.checkpointId)).toEqual([2]);
  });

  it('releases the held channels when the coordinator aborts the checkpoint', async () => {
    const h = track(harness('exactly-once'));
    const out = h.outputs[0]!;
    h.inputs[0]!.barrier(1);
    h.inputs[0]!.send({ k: 'a' });
    h.inputs[1]!.send({ k: 'b' });
    await h.until(() => out.records.includes('b:1'), 'the open channel');
    expect(out.records).not.toContain('a:1');
    h.control({ type: 'checkpoint-aborted', checkpointId: 1 });
    await h.until(() => out.records.includes('a:1'), 'the released channel');
    h.inputs[1]!.barrier(1); // late barrier of the aborted checkpoint
    h.inputs[0]!.barrier(2);
    h.inputs[1]!.barrier(2);
    await h.ack(2);
    expect(h.acks().map((a) => a.checkpointId)).toEqual([2]);
  });

  it('counts an ended channel as aligned', async () => {
    const h = track(harness('exactly-once'));
    h.inputs[0]!.send({ k: 'a' });
    h.inputs[0]!.barrier(1);
    h.inputs[1]!.send({ k: 'b' });
    h.inputs[1]!.endOfPartition();
    const ack = await h.ack(1);
    expect(countsIn(ack.operators.counter?.keyed)).toEqual({ a: 1, b: 1 });
    await h.until(() => h.inputs[1]!.eopAcked, 'the acknowledgement of end-of-partition');
    h.inputs[0]!.send({ k: 'a' });
    await h.until(() => h.outputs[0]!.records.includes('a:2'), 'the released channel');
  });
});

describe('barrier alignment, at-least-once', () => {
  it('never holds a channel and snapshots when the last barrier arrived', async () => {
    const h = track(harness('at-least-once'));
    const [ch0, ch1] = [h.inputs[0]!, h.inputs[1]!];
    const out = h.outputs[0]!;
    ch0.send({ k: 'a' });
    ch0.barrier(1);
    ch0.send({ k: 'a' });
    await h.until(() => out.records.includes('a:2'), 'the record after the first barrier');
    expect(h.acks()).toHaveLength(0);
    ch1.send({ k: 'b' });
    ch1.barrier(1);
    const ack = await h.ack(1);
    // The record after ch0's barrier is in the snapshot: replayed after a restore (at least once).
    expect(countsIn(ack.operators.counter?.keyed)).toEqual({ a: 2, b: 1 });
    await h.until(() => out.recordsBeforeBarrier(1) !== undefined, 'the barrier downstream');
    expect(out.recordsBeforeBarrier(1)?.sort()).toEqual(['a:1', 'a:2', 'b:1']);
  });
});

describe('end of input with checkpointing', () => {
  it('after end of input passes barriers on and finishes once a checkpoint taken after it completed', async () => {
    const h = track(harness('exactly-once', 1));
    const out = h.outputs[0]!;
    const kinds = (): string[] => out.events.map((e) => e.kind);
    h.inputs[0]!.send({ k: 'a' });
    h.inputs[0]!.endOfData();
    await h.until(() => h.messages.some((m) => m.type === 'end-of-input'), 'end-of-input');
    await h.until(() => kinds().length === 1, 'end-of-data downstream');
    expect(kinds()).toEqual(['end-of-data']);
    h.inputs[0]!.barrier(5); // the channel stays open for barriers
    const ack = await h.ack(5);
    expect(ack.taskFinished).toBe(true);
    expect(countsIn(ack.operators.counter?.keyed)).toEqual({ a: 1 });
    h.control({ type: 'checkpoint-complete', checkpointId: 4 }); // an older one does not end it
    await h.until(() => kinds().length === 2, 'the barrier downstream');
    expect(h.outcome).toBeUndefined();
    h.control({ type: 'checkpoint-complete', checkpointId: 5 });
    await h.until(() => kinds().length === 3, 'end-of-partition downstream');
    expect(kinds()).toEqual(['end-of-data', 'barrier', 'end-of-partition']);
    // It waits for its producer's end-of-partition too, so no peer waits for an acknowledgement.
    expect(h.outcome).toBeUndefined();
    h.inputs[0]!.endOfPartition();
    await expect(h.ended()).resolves.toBe('finished');
    await h.until(() => h.inputs[0]!.eopAcked, 'the acknowledgement of end-of-partition');
  });

  it('a trigger at a task with open network inputs aligns with their barriers', async () => {
    const h = track(harness('exactly-once', 1));
    h.trigger(1);
    h.inputs[0]!.send({ k: 'a' });
    await h.until(() => h.outputs[0]!.records.length === 1, 'a record');
    expect(h.acks()).toHaveLength(0);
    h.inputs[0]!.barrier(1);
    const ack = await h.ack(1);
    expect(countsIn(ack.operators.counter?.keyed)).toEqual({ a: 1 });
    expect(h.acks()).toHaveLength(1);
  });

  it('a trigger at a task whose upstream ended aligns with the end of its inputs, before the operators finish', async () => {
    const h = track(harness('exactly-once', 2));
    const out = h.outputs[0]!;
    h.inputs[0]!.send({ k: 'a' });
    h.inputs[0]!.endOfPartition();
    h.trigger(3); // both upstream tasks ended: the coordinator triggers this task directly
    h.inputs[1]!.send({ k: 'b' });
    h.inputs[1]!.endOfPartition();
    const ack = await h.ack(3);
    expect(countsIn(ack.operators.counter?.keyed)).toEqual({ a: 1, b: 1 });
    expect(ack.taskFinished).toBeUndefined(); // taken before the operators finished
    await h.until(() => h.messages.some((m) => m.type === 'end-of-input'), 'end-of-input');
    // Checkpoint 3 was taken before the end of input: only a later one finishes the task.
    h.control({ type: 'checkpoint-complete', checkpointId: 3 });
    h.trigger(4);
    expect((await h.ack(4)).taskFinished).toBe(true);
    expect(h.outcome).toBeUndefined();
    h.control({ type: 'checkpoint-complete', checkpointId: 4 });
    await expect(h.ended()).resolves.toBe('finished');
    const kinds = out.events.map((e) => (e.kind === 'barrier' ? `barrier ${e.checkpointId}` : e.kind));
    expect(kinds).toEqual(['barrier 3', 'end-of-data', 'barrier 4', 'end-of-partition']);
  });
});
