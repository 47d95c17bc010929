import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointCoordinator } from '../../../runtime/checkpoint/checkpoint-coordinator';
import type { CheckpointIdCounter } from '../../../runtime/checkpoint/checkpoint-id-counter';
import { InMemoryCheckpointIdCounter } from '../../../runtime/checkpoint/checkpoint-id-counter';
import type { CheckpointSettings } from '../../../runtime/checkpoint/checkpoint-settings';
import { CheckpointStatsTracker } from '../../../runtime/checkpoint/checkpoint-stats-tracker';
import { checkpointDir, stateObjectKey } from '../../../runtime/checkpoint/checkpoint-storage-layout';
import { CompletedCheckpointStore } from '../../../runtime/checkpoint/completed-checkpoint-store';
import { restoreHandlesFor } from '../../../runtime/checkpoint/restore-assignment';
import type { CheckpointFailedError } from '../../../runtime/errors';
import { CheckpointCorruptError } from '../../../runtime/errors';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { createLogger } from '../../../runtime/util/logger';
import { waitFor as waitForDefault } from '../../../runtime/util/wait';
import { JOB_GRAPH, ScriptedTaskManagers, TASKS, snapshotBytes } from './scripted-task-managers';

/** `waitFor` with a minute's patience by default (see `DEFAULTS.timeoutMs`). */
const waitFor: typeof waitForDefault = (condition, options = {}) =>
  waitForDefault(condition, { timeoutMs: 60_000, ...options });

const base = mkdtempSync(join(tmpdir(), 'sluice-coordinator-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const logger = createLogger('test');

const DEFAULTS: CheckpointSettings = {
  enabled: true,
  mode: 'exactly-once',
  intervalMs: undefined,
  // Generous: these tests are about what happens, not how fast; a loaded CI machine has stalled
  // this file's disk writes for over 10 s. Tests of the timeout set their own.
  timeoutMs: 60_000,
  minPauseMs: 0,
  maxConcurrent: 1,
  tolerableFailures: 0,
  retained: 1,
  retention: 'delete-on-cancellation',
};

const running: CheckpointCoordinator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop('test ended')));
});

interface SetupOptions {
  /** The id counter (default: a fresh in-memory one). */
  counter?: CheckpointIdCounter;
  highestStoredId?: number;
}

/** Like Redis restarted empty: remembers nothing, honours only the floor it is given. */
const forgetful: CheckpointIdCounter = {
  next: async (_jobId, floor) => floor + 1,
  discard: async () => undefined,
  close: async () => undefined,
};

function setup(settings: Partial<CheckpointSettings> = {}, options: SetupOptions = {}) {
  const jobId = `job${++n}`;
  const blobs = new FsBlobStore({ dir: join(base, jobId) });
  const store = new CompletedCheckpointStore(blobs, jobId, settings.retained ?? DEFAULTS.retained, logger);
  const taskManagers = new ScriptedTaskManagers(blobs, jobId);
  const stats = new CheckpointStatsTracker();
  const failures: CheckpointFailedError[] = [];
  const coordinator = new CheckpointCoordinator({
    jobId,
    attempt: 0,
    jobGraph: JOB_GRAPH,
    settings: { ...DEFAULTS, ...settings },
    tasks: TASKS,
    taskExecutor: () => taskManagers,
    store,
    blobStore: blobs,
    counter: options.counter ?? new InMemoryCheckpointIdCounter(),
    stats,
    latestCompletedId: 0,
    ...(options.highestStoredId !== undefined ? { highestStoredId: options.highestStoredId } : {}),
    onFailure: (err) => failures.push(err),
    logger,
  });
  taskManagers.coordinator = coordinator;
  running.push(coordinator);
  const chkDirs = async (): Promise<string[]> =>
    [...new Set((await blobs.list(`checkpoints/${jobId}`)).map((k) => k.split('/')[2]!))].sort();
  return { jobId, blobs, store, taskManagers, stats, failures, coordinator, chkDirs };
}

describe('CheckpointCoordinator', () => {
  it('triggers the sources, collects every subtask, writes _metadata last and notifies completion', async () => {
    const { jobId, coordinator, taskManagers, store, stats, blobs } = setup();
    const completed = await coordinator.trigger('manual');
    expect(completed.metadata.checkpointId).toBe(1);
    // Only sources are triggered (barriers reach the others), one call per TaskManager.
    expect(taskManagers.triggers.map((t) => [t.tasks.map((x) => x.vertexId), t.checkpointId])).toEqual([
      [['src'], 1],
      [['src'], 1],
    ]);
    expect(taskManagers.completed.map((c) => c.checkpointId)).toEqual([1, 1]);
    expect(completed.externalPath).toBe(blobs.describe(checkpointDir(jobId, 1)));
    const counter = completed.metadata.operators.find((o) => o.uid === 'my counter/✓')!;
    expect(counter.subtasks.map((s) => [s.subtask, s.keyed!.keyGroupRange])).toEqual([
      [0, { start: 0, end: 63 }],
      [1, { start: 64, end: 127 }],
    ]);
    expect(completed.metadata.stateSize).toBe(
      TASKS.reduce(
        (sum, t) => sum + snapshotBytes(t.vertexId, t.subtaskIndex, 1).length * (t.isSource ? 1 : 2),
        0,
      ),
    );
    expect((await store.latest())!.metadata).toEqual(completed.metadata);
    const s = stats.stats();
    expect(s.counts).toMatchObject({ completed: 1, inProgress: 0, failed: 0, total: 1 });
    expect(s.latest.completed).toMatchObject({
      id: 1,
      status: 'COMPLETED',
      trigger: 'manual',
      acknowledgedSubtasks: 4,
    });
    const details = stats.details(1)!;
    expect(details.subtasks).toHaveLength(4);
    expect(details.subtasks[0]).toMatchObject({ alignmentMs: 1, syncMs: 2, asyncMs: 3 });
    expect(details.subtasks.every((x) => x.uploadMs >= 0 && x.stateSize > 0)).toBe(true);
  });

  it('restores what was uploaded: handles by key group, verified by SHA-256 on download', async () => {
    const { coordinator, taskManagers, blobs } = setup();
    const { metadata } = await coordinator.trigger('manual');
    // A new attempt at parallelism 1 gets both old keyed handles and both operator-state lists.
    const oneWide = {
      ...JOB_GRAPH,
      vertices: JOB_GRAPH.vertices.map((v) => ({ ...v, parallelism: 1 })),
    };
    const handles = restoreHandlesFor(metadata, oneWide, 'my counter/✓', 0);
    const state = await taskManagers.transfer.download(handles);
    const counter = state.operators['my counter/✓']!;
    expect(counter.parallelism).toBe(2);
    expect(counter.keyed.map((b) => Buffer.from(b).toString())).toEqual([
      'my counter/✓#0@1',
      'my counter/✓#1@1',
    ]);
    expect(counter.operator.map((b) => Buffer.from(b).toString())).toEqual([
      'my counter/✓#0@1',
      'my counter/✓#1@1',
    ]);
    // At the old parallelism each subtask gets its own key groups only.
    const second = restoreHandlesFor(metadata, JOB_GRAPH, 'my counter/✓', 1);
    expect(second.operators['my counter/✓']!.keyed).toHaveLength(1);
    // A flipped byte is refused, naming the object.
    const victim = handles.operators['my counter/✓']!.keyed[1]!;
    await blobs.put(victim.key, 'my counter/✓#1@2');
    const refused = await taskManagers.transfer.download(handles).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(CheckpointCorruptError);
    expect((refused as Error).message).toContain(victim.key);
    await blobs.delete(victim.key);
    await expect(taskManagers.transfer.download(handles)).rejects.toThrow(/is missing/);
  });

  it('execution.checkpointing.interval: triggers periodically, ids increasing', async () => {
    const { coordinator, taskManagers } = setup({ intervalMs: 40 });
    coordinator.start();
    await waitFor(() => taskManagers.completed.length >= 6, { what: '3 periodic checkpoints' });
    const ids = [...new Set(taskManagers.completed.map((c) => c.checkpointId))];
    expect(ids.slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('execution.checkpointing.timeout: aborts a checkpoint nobody completes and deletes its objects', async () => {
    const { jobId, coordinator, taskManagers, stats, blobs, chkDirs } = setup({
      timeoutMs: 150,
      tolerableFailures: 5,
    });
    taskManagers.answer = () => 'silent';
    const pending = coordinator.trigger('manual');
    // Half the subtasks uploaded before the timeout: their objects must go with the abort.
    await blobs.put(stateObjectKey(jobId, 1, 'src', 0, 'operator'), 'partial');
    await expect(pending).rejects.toThrow(/checkpoint 1 aborted: timed out after 150 ms/);
    expect(taskManagers.aborted.map((a) => a.checkpointId)).toEqual([1, 1]);
    expect(await chkDirs()).toEqual([]);
    expect(stats.stats().latest.failed).toMatchObject({ id: 1, status: 'FAILED' });
    // A task that acknowledges after the abort: its uploads are deleted, not left behind.
    await taskManagers.ackAll(1);
    await waitFor(async () => (await chkDirs()).length === 0, { what: 'late objects deleted' });
  });

  it('a counter that lost its value (Redis restarted empty) never hands out an id in progress again', async () => {
    const { coordinator, taskManagers, store } = setup({ maxConcurrent: 2 }, { counter: forgetful });
    taskManagers.answer = (id) => (id === 1 ? 'silent' : 'ack');
    const first = coordinator.trigger('manual');
    void first.catch(() => undefined);
    await waitFor(() => taskManagers.triggers.length === 2, { what: 'checkpoint 1 triggered' });
    const second = await coordinator.trigger('manual');
    expect(second.metadata.checkpointId).toBe(2);
    // The completed checkpoint is still there: checkpoint 1's abort deletes only its own objects.
    await coordinator.stop('test ended');
    await expect(first).rejects.toThrow(/checkpoint 1 aborted/);
    expect(await store.completedIds()).toEqual([2]);
  });

  it('a new coordinator (a new attempt or leader) starts above every checkpoint directory in storage', async () => {
    const { coordinator } = setup({}, { counter: forgetful, highestStoredId: 7 });
    expect((await coordinator.trigger('manual')).metadata.checkpointId).toBe(8);
  });

  it('a checkpoint aborted while its trigger is still on its way rejects its caller once the call returns', async () => {
    // The job manager process once died here (an unhandled rejection: the abort came before the
    // caller held the promise). Jest's sandbox does not see unhandled rejections, so this checks
    // the caller's side: the rejection arrives, after the trigger call returned.
    const { coordinator, taskManagers } = setup();
    const held: (() => void)[] = [];
    taskManagers.triggerCheckpoint = () => new Promise<void>((resolve) => held.push(resolve));
    const triggered = coordinator.trigger('manual');
    await waitFor(() => held.length === 2, { what: 'the trigger on its way to both TaskManagers' });
    // The attempt ends (a job manager that stepped down) before the trigger call returns.
    await coordinator.stop('attempt 0 ended');
    for (const deliver of held) deliver();
    await expect(triggered).rejects.toThrow('checkpoint 1 aborted: attempt 0 ended');
  });

  it('refuses an id from a counter that ignores its floor, and starts no checkpoint', async () => {
    const broken: CheckpointIdCounter = { ...forgetful, next: async () => 1 };
    const { coordinator, taskManagers } = setup({}, { counter: broken, highestStoredId: 4 });
    await expect(coordinator.trigger('manual')).rejects.toThrow(/handed out 1, not above 4/);
    expect(taskManagers.triggers).toEqual([]);
  });

  it('execution.checkpointing.tolerable-failed-checkpoints: fails the attempt on one failure more', async () => {
    const { coordinator, taskManagers, failures } = setup({ tolerableFailures: 2 });
    taskManagers.answer = (id) => (id === 3 ? 'ack' : 'decline');
    for (let i = 0; i < 2; i++)
      await expect(coordinator.trigger('manual')).rejects.toThrow(/scripted decline/);
    // A completed checkpoint resets the count.
    await coordinator.trigger('manual');
    for (let i = 0; i < 2; i++) await expect(coordinator.trigger('manual')).rejects.toThrow(/declined/);
    expect(failures).toHaveLength(0);
    await expect(coordinator.trigger('manual')).rejects.toThrow(/declined/);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(
      /3 checkpoints failed in a row, more than .*tolerable-failed-checkpoints \(2\)/,
    );
  });

  it('a savepoint that fails counts toward no tolerable failure (as in Flink): the job goes on', async () => {
    const { coordinator, taskManagers, failures, jobId } = setup({ tolerableFailures: 0, timeoutMs: 300 });
    taskManagers.answer = (id) => (id === 1 ? 'decline' : id === 2 ? 'silent' : 'ack');
    const dir = `savepoints/savepoint-${jobId}`;
    await expect(coordinator.trigger('savepoint', dir)).rejects.toThrow(/declined/);
    await expect(coordinator.trigger('savepoint', dir)).rejects.toThrow(/timed out/);
    expect(failures).toEqual([]);
    await expect(coordinator.trigger('manual')).resolves.toBeDefined();
  });

  it('a decline because a newer checkpoint overtook the older one is no failure', async () => {
    const { jobId, coordinator, taskManagers, failures, stats } = setup({ tolerableFailures: 0 });
    taskManagers.answer = (id) => (id === 1 ? 'silent' : { delayMs: 200 });
    const older = coordinator.trigger('manual').catch((err: Error) => err.message);
    await waitFor(() => taskManagers.triggers.length === 2);
    const newer = coordinator.trigger('manual');
    await waitFor(() => taskManagers.triggers.length === 4);
    coordinator.decline({
      jobId,
      attempt: 0,
      vertexId: 'src',
      subtaskIndex: 0,
      checkpointId: 1,
      error: { name: 'StateError', message: 'checkpoint 1 was superseded by checkpoint 2' },
    });
    expect(await older).toMatch(/checkpoint 1 aborted: declined/);
    await newer;
    expect(failures).toEqual([]);
    expect(stats.stats().counts).toMatchObject({ completed: 1, failed: 1 });
  });

  it('execution.checkpointing.min-pause: the next periodic checkpoint waits that long after a completion', async () => {
    const { coordinator, taskManagers, stats } = setup({ intervalMs: 20, minPauseMs: 250 });
    coordinator.start();
    await waitFor(() => stats.stats().counts.completed >= 3, { what: '3 checkpoints' });
    const history = stats
      .stats()
      .history.filter((h) => h.status === 'COMPLETED')
      .reverse();
    for (let i = 1; i < history.length; i++) {
      const previousEnd = history[i - 1]!.triggerTimestamp + history[i - 1]!.durationMs;
      expect(history[i]!.triggerTimestamp - previousEnd).toBeGreaterThanOrEqual(245);
    }
    expect(taskManagers.triggers.length).toBeGreaterThanOrEqual(6);
  });

  it('execution.checkpointing.max-concurrent-checkpoints: never more in progress than allowed', async () => {
    for (const maxConcurrent of [1, 3]) {
      const { coordinator, taskManagers, stats } = setup({ intervalMs: 20, maxConcurrent });
      taskManagers.answer = () => ({ delayMs: 200 });
      let most = 0;
      const watch = setInterval(() => (most = Math.max(most, stats.stats().counts.inProgress)), 5);
      coordinator.start();
      await waitFor(() => stats.stats().counts.completed >= 4, { what: '4 checkpoints' });
      clearInterval(watch);
      await coordinator.stop('done');
      expect(most).toBe(maxConcurrent);
    }
  });

  it('a savepoint that cancels the job: no checkpoint starts while it runs or after it completed; if it fails, periodic ones resume', async () => {
    const { coordinator, taskManagers, jobId } = setup({ intervalMs: 20, maxConcurrent: 3 });
    taskManagers.answer = () => ({ delayMs: 150 });
    coordinator.start();
    await waitFor(() => taskManagers.triggers.length > 0, { what: 'a periodic checkpoint' });
    const dir = `savepoints/savepoint-${jobId}`;
    const savepoint = await coordinator.trigger('savepoint', dir, { thenCancel: true });
    const id = savepoint.metadata.checkpointId;
    // Past several intervals: every trigger after the savepoint's would cover records past it.
    await new Promise((r) => setTimeout(r, 400));
    expect(taskManagers.triggers.filter((t) => t.checkpointId > id)).toEqual([]);
    await expect(coordinator.trigger('manual')).rejects.toThrow(/being canceled with a savepoint/);

    const other = setup({ intervalMs: 20, maxConcurrent: 3 });
    other.taskManagers.answer = (n) => (n === 1 ? 'decline' : 'ack');
    await expect(other.coordinator.trigger('savepoint', dir, { thenCancel: true })).rejects.toThrow();
    other.coordinator.start();
    await waitFor(() => other.stats.stats().counts.completed >= 2, {
      what: 'periodic checkpoints after it failed',
    });
  });

  it('while a savepoint that cancels runs, a stop is refused and a final checkpoint waits; it starts once the savepoint failed', async () => {
    const { coordinator, taskManagers, stats, jobId } = setup({ timeoutMs: 500 });
    taskManagers.answer = (id) => (id === 1 ? 'silent' : 'ack');
    const savepoint = coordinator.trigger('savepoint', `savepoints/savepoint-${jobId}`, { thenCancel: true });
    savepoint.catch(() => undefined);
    await waitFor(() => taskManagers.triggers.length > 0, { what: 'the savepoint trigger' });
    await expect(coordinator.triggerStop('savepoints/stop', 'no-drain')).rejects.toThrow(
      /being canceled with a savepoint/,
    );
    // Every input ended: the final checkpoint is due, but its barrier would supersede the savepoint's.
    for (const t of TASKS) coordinator.endOfInput({ jobId: 'x', attempt: 0, ...t });
    await new Promise((r) => setTimeout(r, 100));
    expect(taskManagers.triggers.map((t) => t.checkpointId)).toEqual(taskManagers.triggers.map(() => 1));
    await expect(savepoint).rejects.toThrow(/timed out/);
    await waitFor(() => stats.stats().latest.completed?.trigger === 'final', {
      what: 'the final checkpoint after the savepoint failed',
    });
  });

  it('state.checkpoints.num-retained: keeps that many completed checkpoints in storage', async () => {
    const { coordinator, store, chkDirs } = setup({ retained: 2 });
    for (let i = 0; i < 4; i++) await coordinator.trigger('manual');
    expect(await store.completedIds()).toEqual([3, 4]);
    expect(await chkDirs()).toEqual(['chk-3', 'chk-4']);
  });

  it('takes a final checkpoint, triggered on every task, once every task reported end of input', async () => {
    const { coordinator, taskManagers, stats } = setup({ intervalMs: 60_000 });
    coordinator.start();
    for (const t of TASKS.slice(0, 3)) coordinator.endOfInput({ jobId: 'x', attempt: 0, ...t });
    expect(taskManagers.triggers).toHaveLength(0);
    coordinator.endOfInput({ jobId: 'x', attempt: 0, ...TASKS[3]! });
    await waitFor(() => stats.stats().latest.completed?.trigger === 'final', { what: 'final checkpoint' });
    const triggered = taskManagers.triggers.flatMap((t) =>
      t.tasks.map((x) => `${x.vertexId}/${x.subtaskIndex}`),
    );
    expect(triggered.sort()).toEqual(TASKS.map((t) => `${t.vertexId}/${t.subtaskIndex}`).sort());
  });

  it('stop with drain: the stop mode reaches the sources, the final checkpoint waits, the savepoint is the final one', async () => {
    const { coordinator, taskManagers, stats } = setup();
    taskManagers.answer = () => ({ delayMs: 50 });
    const stop = coordinator.triggerStop('savepoints/stop-drain', 'drain');
    await waitFor(() => taskManagers.triggers.length > 0, { what: 'the stop trigger' });
    // With drain every task ends its input before the savepoint's barrier reaches it.
    for (const t of TASKS) coordinator.endOfInput({ jobId: 'x', attempt: 0, ...t });
    await expect(coordinator.triggerStop('savepoints/again', 'drain')).rejects.toThrow(
      /already being stopped/,
    );
    const completed = await stop;
    expect(completed.metadata).toMatchObject({ kind: 'savepoint', checkpointId: 1 });
    const stopTriggers = taskManagers.triggers.filter((t) => t.checkpointId === 1);
    expect(stopTriggers.every((t) => t.stop === 'drain')).toBe(true);
    expect(stopTriggers.flatMap((t) => t.tasks.map((x) => x.vertexId))).toEqual(
      TASKS.filter((t) => t.isSource).map((t) => t.vertexId),
    );
    // No final checkpoint of its own: its barrier could have superseded the savepoint's. (Were
    // one due, it would have been triggered as the stop settled, within this turn.)
    await new Promise((r) => setImmediate(r));
    expect(stats.stats().history.map((c) => c.trigger)).toEqual(['savepoint']);
  });

  it('stop without drain: the savepoint is the last checkpoint; none starts during the stop or after it', async () => {
    const { coordinator, taskManagers, stats } = setup({ intervalMs: 20 });
    coordinator.start();
    await waitFor(() => stats.stats().counts.completed >= 1, { what: 'a periodic checkpoint' });
    taskManagers.answer = () => ({ delayMs: 200 });
    const stop = coordinator.triggerStop('savepoints/stop', 'no-drain');
    await waitFor(() => taskManagers.triggers.some((t) => t.stop === 'no-drain'), {
      what: 'the stop trigger',
    });
    const stopId = taskManagers.triggers.find((t) => t.stop === 'no-drain')!.checkpointId;
    // A periodic checkpoint after the barrier could commit output the savepoint does not cover.
    await expect(coordinator.trigger('manual')).rejects.toThrow(/being stopped with a savepoint/);
    const completed = await stop;
    expect(completed.metadata).toMatchObject({ kind: 'savepoint', checkpointId: stopId });
    expect(
      taskManagers.triggers.filter((t) => t.stop === 'no-drain').map((t) => t.tasks[0]!.vertexId),
    ).toEqual(TASKS.filter((t) => t.isSource).map((t) => t.vertexId));
    // The tasks end suspended: none reports its end of input, they finish; no final checkpoint.
    for (const t of TASKS) coordinator.taskFinished({ jobId: 'x', attempt: 0, ...t });
    await new Promise((r) => setTimeout(r, 100)); // five periodic intervals
    expect(taskManagers.triggers.every((t) => t.checkpointId <= stopId)).toBe(true);
    expect(stats.stats().history[0]).toMatchObject({ id: stopId, trigger: 'savepoint' });
    await expect(coordinator.triggerStop('savepoints/again', 'no-drain')).rejects.toThrow(
      /already being stopped/,
    );
  });

  it('a failed stop without drain leaves periodic checkpoints running', async () => {
    const { coordinator, taskManagers, stats } = setup({ intervalMs: 20, tolerableFailures: 5 });
    taskManagers.answer = (id) => (id === 1 ? 'decline' : 'ack');
    await expect(coordinator.triggerStop('savepoints/stop', 'no-drain')).rejects.toThrow(/declined/);
    coordinator.start();
    await waitFor(() => stats.stats().latest.completed?.trigger === 'periodic', {
      what: 'a periodic checkpoint',
    });
    await expect(coordinator.trigger('manual')).resolves.toMatchObject({ metadata: { kind: 'checkpoint' } });
  });

  it('retries a failed final checkpoint: the tasks wait for one to complete', async () => {
    const { coordinator, taskManagers, stats } = setup({ tolerableFailures: 3 });
    taskManagers.answer = (id) => (id === 1 ? 'decline' : 'ack');
    for (const t of TASKS) coordinator.endOfInput({ jobId: 'x', attempt: 0, ...t });
    await waitFor(() => stats.stats().latest.completed?.id === 2, { what: 'second final checkpoint' });
    expect(stats.stats().latest.failed).toMatchObject({ id: 1, trigger: 'final' });
  });

  it('a FINISHED task is no longer awaited: its state is carried over from the latest completed checkpoint', async () => {
    const { jobId, coordinator, taskManagers, store, blobs } = setup({ retained: 1 });
    await coordinator.trigger('manual');
    taskManagers.answer = () => 'silent';
    const pending = coordinator.trigger('manual');
    await waitFor(() => taskManagers.triggers.length === 4);
    taskManagers.finished.add('src/0'); // finishes instead of acknowledging
    await taskManagers.ackAll(2);
    expect(await store.completedIds()).toEqual([1]);
    coordinator.taskFinished({ jobId, attempt: 0, vertexId: 'src', subtaskIndex: 0 });
    const second = await pending;
    // Checkpoint 1 was pruned: the finished subtask's state lives on, copied into chk-2.
    expect(await store.completedIds()).toEqual([2]);
    const src = second.metadata.operators.find((o) => o.id === 'src')!;
    expect(src.subtasks.map((s) => s.operator!.path.split('/')[1])).toEqual([
      '0-operator.bin',
      '1-operator.bin',
    ]);
    const carried = restoreHandlesFor(second.metadata, JOB_GRAPH, 'src', 0);
    const bytes = await taskManagers.transfer.download(carried);
    expect(bytes.operators.src!.operator.map((b) => Buffer.from(b).toString())).toEqual([
      'src#0@1',
      'src#1@2',
    ]);
    // Later checkpoints neither trigger nor await it.
    taskManagers.answer = () => 'ack';
    const third = await coordinator.trigger('manual');
    expect(taskManagers.triggers.filter((t) => t.checkpointId === 3).flatMap((t) => t.tasks)).toEqual([
      { vertexId: 'src', subtaskIndex: 1 },
    ]);
    expect(third.metadata.operators.find((o) => o.id === 'src')!.subtasks).toHaveLength(2);
    expect(await blobs.exists(`checkpoints/${jobId}/chk-1/_metadata`)).toBe(false);
  });

  it('stop aborts checkpoints in progress and deletes their objects; acks of another attempt are ignored', async () => {
    const { jobId, coordinator, taskManagers, chkDirs, blobs } = setup();
    taskManagers.answer = () => 'silent';
    const pending = coordinator.trigger('manual').catch((err: Error) => err.message);
    await waitFor(() => taskManagers.triggers.length === 2);
    coordinator.acknowledge({
      jobId,
      attempt: 7,
      vertexId: 'src',
      subtaskIndex: 0,
      checkpointId: 1,
      operators: {},
      timings: { alignmentMs: 0, syncMs: 0, asyncMs: 0, uploadMs: 0 },
    });
    await blobs.put(stateObjectKey(jobId, 1, 'src', 0, 'operator'), 'x');
    await coordinator.stop('attempt ended');
    expect(await pending).toMatch(/aborted: attempt ended/);
    expect(await chkDirs()).toEqual([]);
    await expect(coordinator.trigger('manual')).rejects.toThrow(/not running/);
  });
});
