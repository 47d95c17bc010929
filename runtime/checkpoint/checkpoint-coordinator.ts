import type { JobGraph } from '../graph/job-graph';
import { CheckpointFailedError, ConflictError, describeError } from '../errors';
import type {
  AcknowledgeCheckpointMessage,
  DeclineCheckpointMessage,
  TaskRef,
} from '../rpc/control-protocol';
import type { CheckpointIdCounter } from './checkpoint-id-counter';
import { CheckpointIdIssuer } from './checkpoint-id-counter';
import { CheckpointFailureManager } from './checkpoint-failure-manager';
import type { CheckpointMetadata } from './checkpoint-metadata';
import { carryFinishedSubtasks } from './finished-task-state';
import type { CheckpointSettings } from './checkpoint-settings';
import type { CheckpointStatsTracker } from './checkpoint-stats-tracker';
import type { CompletedCheckpoint, CompletedCheckpointStore } from './completed-checkpoint-store';
import type { CheckpointTriggerKind } from './pending-checkpoint';
import type { StopMode } from './checkpointing-mode';
import { PendingCheckpoint, subtaskKey } from './pending-checkpoint';
import { checkpointDir } from './checkpoint-storage-layout';
import { writeSavepoint } from './savepoint-store';
import type { CheckpointMessengerOptions, CoordinatedTask } from './checkpoint-messenger';
import { CheckpointMessenger } from './checkpoint-messenger';
import { PeriodicCheckpointTimer } from './periodic-checkpoint-timer';
import { ExclusiveSavepoint } from './exclusive-savepoint';

/** The messenger's options (job, attempt, tasks, how to reach them, where objects live) and more. */
export interface CheckpointCoordinatorOptions extends CheckpointMessengerOptions {
  readonly jobGraph: JobGraph;
  readonly settings: CheckpointSettings;
  readonly store: CompletedCheckpointStore;
  readonly counter: CheckpointIdCounter;
  readonly stats: CheckpointStatsTracker;
  /** The latest completed checkpoint id known (ids handed out stay above it). */
  readonly latestCompletedId: number;
  /** The highest checkpoint id with objects in storage, completed or not (see `CheckpointIdIssuer`). */
  readonly highestStoredId?: number;
  /** The checkpoint the attempt restored: where finished subtasks' state is carried from at first. */
  readonly restored?: CheckpointMetadata;
  /** Directory of `restored` (a savepoint's lies outside `checkpoints/`). */
  readonly restoredDir?: string;
  /** Checkpoints failed more often in a row than tolerated: the job master fails the attempt. */
  readonly onFailure: (error: CheckpointFailedError) => void;
}

interface Waiter {
  resolve(checkpoint: CompletedCheckpoint): void;
  reject(err: Error): void;
}

/**
 * Runs the checkpoints of one job attempt (Flink's CheckpointCoordinator, docs/architecture.md
 * §6): triggers them (periodically by `interval`, `min-pause` and `max-concurrent`, manually,
 * and a final one once every task's input ended), collects an acknowledgement with state handles
 * from every subtask, writes `_metadata` last, then tells the tasks it completed. A checkpoint
 * that is declined, times out or cannot be stored is aborted and its objects deleted; more
 * failures in a row than `tolerable-failed-checkpoints` fail the attempt (savepoints excepted).
 */
export class CheckpointCoordinator {
  private readonly pending = new Map<number, PendingCheckpoint>();
  private readonly waiters = new Map<number, Waiter>();
  private readonly ended = new Set<string>();
  /** Subtasks that FINISHED (after a checkpoint that followed their end of input). */
  private readonly finished = new Set<string>();
  /** Completions run one after another (see `complete`). */
  private completions: Promise<void> = Promise.resolve();
  private readonly messenger: CheckpointMessenger;
  private latestCompleted: CheckpointMetadata | undefined;
  private latestCompletedDir: string | undefined;
  private readonly byKey: Map<string, CoordinatedTask>;
  private readonly periodic: PeriodicCheckpointTimer;
  private lastCompletion: number | undefined;
  private latestCompletedId: number;
  private readonly ids: CheckpointIdIssuer;
  private readonly failures: CheckpointFailureManager;
  private finalCompleted = false;
  /** A savepoint that ends the job: none other starts beside it (a final one waits for it). */
  private readonly exclusive: ExclusiveSavepoint;
  /** A stop-with-savepoint completed: it is the job's last checkpoint, none follows. */
  private stopCompleted = false;
  private finalDeferred = false;
  private stopped = false;

  constructor(private readonly o: CheckpointCoordinatorOptions) {
    this.byKey = new Map(o.tasks.map((t) => [subtaskKey(t.vertexId, t.subtaskIndex), t]));
    this.latestCompletedId = o.latestCompletedId;
    this.ids = new CheckpointIdIssuer(
      o.counter,
      o.jobId,
      Math.max(o.latestCompletedId, o.highestStoredId ?? 0),
    );
    this.failures = new CheckpointFailureManager(o.settings.tolerableFailures, o.onFailure);
    this.latestCompleted = o.restored;
    this.latestCompletedDir = o.restoredDir;
    this.messenger = new CheckpointMessenger(o);
    this.exclusive = new ExclusiveSavepoint(o.jobId, () => {
      this.periodic.checkpointEnded();
      if (this.finalDeferred) {
        this.finalDeferred = false;
        this.triggerFinal();
      }
    });
    this.periodic = new PeriodicCheckpointTimer(o.settings, {
      readiness: () => this.periodicReadiness(),
      lastCompletion: () => this.lastCompletion,
      trigger: () => void this.trigger('periodic').catch(() => undefined), // abort counts and logs failures
    });
  }

  /** Starts periodic checkpoints (when an interval is set). */
  start(): void {
    this.periodic.start();
  }

  /** Stops triggering and aborts every checkpoint in progress (the attempt ends). */
  async stop(reason: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.periodic.stop();
    await Promise.all([...this.pending.values()].map((p) => this.abort(p, reason, false)));
    // A checkpoint already finalizing completes (its tasks acknowledged it), and is waited for:
    // completing it prunes older ones, which must not happen after the job is seen as ended.
    await this.completions;
  }

  /**
   * Triggers a checkpoint now; resolves when it completed, rejects when it was aborted.
   * Periodic triggers respect `max-concurrent` and `min-pause`; manual, final and savepoint ones
   * do not. A savepoint (`kind` 'savepoint') is written to `savepointDir` (docs/architecture.md
   * §8) and never becomes the job's own checkpoint: it is neither pruned nor restored on failover.
   * Refused (`ConflictError`) while the job is being stopped with a savepoint, and after.
   */
  async trigger(
    kind: CheckpointTriggerKind,
    savepointDir?: string,
    options: { thenCancel?: boolean } = {},
  ): Promise<CompletedCheckpoint> {
    this.exclusive.refuseOthers();
    if (!options.thenCancel) return this.startCheckpoint(kind, savepointDir);
    return this.exclusive.run('cancel', () => this.startCheckpoint(kind, savepointDir));
  }

  private async startCheckpoint(
    kind: CheckpointTriggerKind,
    savepointDir?: string,
    stop?: StopMode,
  ): Promise<CompletedCheckpoint> {
    if (kind === 'savepoint' && savepointDir === undefined)
      throw new ConflictError('a savepoint needs a target directory');
    if (this.stopped) throw new ConflictError(`job ${this.o.jobId} attempt ${this.o.attempt} is not running`);
    const id = await this.ids.next().catch((err: unknown) => {
      this.o.logger.error(
        { jobId: this.o.jobId, err },
        'could not take a checkpoint id: checkpoint not started',
      );
      throw err;
    });
    if (this.stopped) throw new ConflictError(`job ${this.o.jobId} attempt ${this.o.attempt} ended`);
    const timestamp = Date.now();
    const pending = new PendingCheckpoint(id, kind, timestamp, [...this.byKey.keys()], this.finished);
    pending.savepointDir = savepointDir;
    const done = new Promise<CompletedCheckpoint>((resolve, reject) =>
      this.waiters.set(id, { resolve, reject }),
    );
    // An abort during the trigger call below rejects `done` before the caller holds it: unhandled, it would end the process.
    done.catch(() => undefined);
    this.pending.set(id, pending);
    this.o.stats.onTriggered(id, kind, timestamp, pending.totalSubtasks);
    pending.timeout = setTimeout(
      () =>
        void this.abort(
          pending,
          `timed out after ${this.o.settings.timeoutMs} ms (execution.checkpointing.timeout)`,
          true,
        ),
      this.o.settings.timeoutMs,
    );
    this.o.logger.debug({ jobId: this.o.jobId, checkpointId: id, kind }, 'triggering checkpoint');
    await this.messenger
      .trigger(pending.id, pending.timestamp, this.triggerTargets(), stop)
      .catch((err: unknown) => this.abort(pending, `could not be triggered: ${describeError(err)}`, true));
    return done;
  }

  /**
   * Stop-with-savepoint (Flink's `stop`): a savepoint into `savepointDir` whose trigger also
   * stops the sources (see `StopMode`), so every task then ends. Either way the savepoint is the
   * job's last checkpoint: with `drain` it is the final one (taken after every input ended),
   * without, the tasks end suspended once it completed (see `TaskEnding`). Resolves once the
   * savepoint completed; while it runs no other checkpoint starts. If it fails, the job goes on
   * (without drain the sources resume; with drain the job master fails the attempt over).
   */
  async triggerStop(savepointDir: string, mode: StopMode): Promise<CompletedCheckpoint> {
    if (this.exclusive.kind === 'stop')
      throw new ConflictError(`job ${this.o.jobId} is already being stopped`);
    this.exclusive.refuseOthers();
    return this.exclusive.run('stop', async () => {
      const completed = await this.startCheckpoint('savepoint', savepointDir, mode);
      this.stopCompleted = true;
      this.finalCompleted = true;
      return completed;
    });
  }

  acknowledge(ack: AcknowledgeCheckpointMessage): void {
    if (ack.attempt !== this.o.attempt) return;
    const pending = this.pending.get(ack.checkpointId);
    if (!pending) {
      void this.messenger.discardLateAck(ack);
      return;
    }
    // A duplicate, or a subtask no longer awaited: its objects are the ones already counted.
    if (pending.finalizing || !pending.acknowledge(ack)) return;
    const size = Object.values(ack.operators).reduce(
      (n, o) => n + (o.keyed?.bytes ?? 0) + (o.operator?.bytes ?? 0),
      0,
    );
    this.o.stats.onAcknowledged(
      ack.checkpointId,
      ack.vertexId,
      ack.subtaskIndex,
      Date.now(),
      size,
      ack.timings,
    );
    if (pending.fullyAcknowledged) void this.complete(pending);
  }

  decline(message: DeclineCheckpointMessage): void {
    if (message.attempt !== this.o.attempt) return;
    const pending = this.pending.get(message.checkpointId);
    if (!pending || pending.finalizing) return;
    const task = `${message.vertexId} (${message.subtaskIndex + 1})`;
    // A task drops an older checkpoint when a newer one's barrier overtakes it (a final or
    // manual checkpoint triggered meanwhile): Flink's "declined, subsumed", not a failure.
    const subsumed = [...this.pending.keys()].some((id) => id > pending.id);
    void this.abort(pending, `declined by task ${task}: ${message.error.message}`, !subsumed);
  }

  /**
   * A task FINISHED: with checkpointing it does so only after a checkpoint taken after its end of
   * input completed, so its state is final. Checkpoints no longer wait for it (Flink, FLIP-147):
   * they carry its state over from the latest completed one.
   */
  taskFinished(task: TaskRef): void {
    if (task.attempt !== this.o.attempt) return;
    const key = subtaskKey(task.vertexId, task.subtaskIndex);
    if (!this.byKey.has(key) || this.finished.has(key)) return;
    this.finished.add(key);
    for (const pending of [...this.pending.values()]) {
      if (!pending.finalizing && pending.markFinished(key) && pending.fullyAcknowledged)
        void this.complete(pending);
    }
    this.endOfInput(task);
  }

  /** A task ended its input; once all did, the final checkpoint lets them finish. */
  endOfInput(task: TaskRef): void {
    if (task.attempt !== this.o.attempt || this.stopped) return;
    const key = subtaskKey(task.vertexId, task.subtaskIndex);
    if (!this.byKey.has(key) || this.ended.has(key)) return;
    this.ended.add(key);
    if (this.ended.size === this.byKey.size) this.triggerFinal();
  }

  private triggerFinal(): void {
    if (this.stopped || this.finalCompleted || this.failures.failedOver) return;
    // Its barrier would supersede the savepoint's in tasks still aligning it.
    if (this.exclusive.held) {
      this.finalDeferred = true;
      return;
    }
    this.startCheckpoint('final').then(
      () => (this.finalCompleted = true),
      (err: unknown) => {
        this.o.logger.warn(
          { jobId: this.o.jobId, err: describeError(err) },
          'final checkpoint failed; retrying',
        );
        setTimeout(() => this.triggerFinal(), Math.max(this.o.settings.minPauseMs, 100)).unref();
      },
    );
  }

  /** Sources get the trigger (they inject barriers), and tasks whose input ended (no barrier reaches them). */
  private triggerTargets(): CoordinatedTask[] {
    return [...this.byKey]
      .filter(([key, t]) => (t.isSource || this.ended.has(key)) && !this.finished.has(key))
      .map(([, t]) => t);
  }

  private complete(pending: PendingCheckpoint): Promise<void> {
    pending.finalizing = true;
    clearTimeout(pending.timeout);
    // One at a time, in order: a completion prunes older checkpoints and finished tasks' state
    // is carried from the latest completed one, so two finalizing at once could copy from a
    // checkpoint the other one is pruning.
    const run = this.completions.then(() => this.completeInOrder(pending));
    this.completions = run.catch(() => undefined);
    return run;
  }

  private async completeInOrder(pending: PendingCheckpoint): Promise<void> {
    // A savepoint is never subsumed (Flink): it is the user's, not the job's recovery point.
    if (pending.savepointDir === undefined && pending.id < this.latestCompletedId) {
      pending.finalizing = false;
      await this.abort(pending, `subsumed by checkpoint ${this.latestCompletedId}`, false);
      return;
    }
    const { jobId, jobGraph, settings, store } = this.o;
    let completed: CompletedCheckpoint;
    try {
      const others = new Set([...this.pending.keys()].filter((id) => id !== pending.id));
      await carryFinishedSubtasks(this.o.blobStore, pending, {
        jobId,
        attempt: this.o.attempt,
        subtaskOf: (key) => this.byKey.get(key)!,
        from: this.latestCompleted,
        fromDir: this.latestCompletedDir,
      });
      const metadata = pending.toMetadata({ jobId, jobGraph, mode: settings.mode }, Date.now());
      if (pending.savepointDir !== undefined) {
        const from = checkpointDir(jobId, pending.id);
        completed = await writeSavepoint(this.o.blobStore, metadata, from, pending.savepointDir);
        await store.discard(pending.id);
      } else ({ checkpoint: completed } = await store.add(metadata, others));
    } catch (err) {
      pending.finalizing = false;
      await this.abort(pending, `its metadata could not be stored: ${describeError(err)}`, true);
      return;
    }
    this.pending.delete(pending.id);
    this.latestCompletedId = Math.max(this.latestCompletedId, pending.id);
    if (pending.savepointDir === undefined && pending.id > (this.latestCompleted?.checkpointId ?? 0)) {
      this.latestCompleted = completed.metadata;
      this.latestCompletedDir = completed.dir;
    }
    this.lastCompletion = Date.now();
    this.failures.onCompleted();
    this.o.stats.onCompleted(pending.id, this.lastCompletion, completed.externalPath);
    this.o.logger.info(
      { jobId, checkpointId: pending.id, trigger: pending.trigger, bytes: completed.metadata.stateSize },
      'checkpoint completed',
    );
    await this.messenger.notify('notifyCheckpointComplete', pending.id);
    // Flink subsumes older checkpoints still in progress: a newer one supersedes them.
    const subsumed = (p: PendingCheckpoint): boolean =>
      p.id < pending.id &&
      !p.finalizing &&
      p.savepointDir === undefined &&
      pending.savepointDir === undefined;
    for (const older of [...this.pending.values()].filter(subsumed))
      await this.abort(older, `subsumed by checkpoint ${pending.id}`, false);
    this.waiters.get(pending.id)?.resolve(completed);
    this.waiters.delete(pending.id);
    this.periodic.checkpointEnded();
  }

  private async abort(pending: PendingCheckpoint, reason: string, countsAsFailure: boolean): Promise<void> {
    if (this.pending.get(pending.id) !== pending || pending.finalizing) return;
    this.pending.delete(pending.id);
    clearTimeout(pending.timeout);
    const message = `checkpoint ${pending.id} aborted: ${reason}`;
    this.o.stats.onFailed(pending.id, Date.now(), message);
    this.o.logger.warn({ jobId: this.o.jobId, checkpointId: pending.id }, message);
    await this.messenger.notify('abortCheckpoint', pending.id);
    await this.o.store.discard(pending.id);
    this.waiters.get(pending.id)?.reject(new CheckpointFailedError(message));
    this.waiters.delete(pending.id);
    // As in Flink, a savepoint that fails counts toward no tolerable failure: the user is told,
    // the job goes on (a failed stop-with-savepoint is handled by the job master).
    if (countsAsFailure && !this.stopped && pending.savepointDir === undefined)
      this.failures.onFailed(message);
    this.periodic.checkpointEnded();
  }

  private periodicReadiness(): 'ready' | 'busy' | 'off' {
    if (this.stopped || this.stopCompleted || this.ended.size === this.byKey.size) return 'off';
    // A min pause makes checkpoints sequential (as in Flink): the pause runs from a completion.
    const { maxConcurrent, minPauseMs } = this.o.settings;
    const limit = minPauseMs > 0 ? 1 : maxConcurrent;
    return this.exclusive.held || this.pending.size >= limit ? 'busy' : 'ready';
  }

  /** For the job master: a summary of what is in progress. */
  get inProgress(): number {
    return this.pending.size;
  }
}
