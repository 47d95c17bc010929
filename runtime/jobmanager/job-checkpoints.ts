import { CheckpointCoordinator } from '../checkpoint/checkpoint-coordinator';
import type { CheckpointTaskManagerGateway, CoordinatedTask } from '../checkpoint/checkpoint-messenger';
import type { CheckpointIdCounter } from '../checkpoint/checkpoint-id-counter';
import { InMemoryCheckpointIdCounter } from '../checkpoint/checkpoint-id-counter';
import type { CheckpointSettings } from '../checkpoint/checkpoint-settings';
import type {
  CheckpointDetails,
  JobCheckpointConfig,
  JobCheckpointStats,
} from '../checkpoint/checkpoint-stats';
import { CheckpointStatsTracker } from '../checkpoint/checkpoint-stats-tracker';
import type { CheckpointingMode, StopMode, TaskCheckpointing } from '../checkpoint/checkpointing-mode';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint-store';
import { CompletedCheckpointStore } from '../checkpoint/completed-checkpoint-store';
import { jobCheckpointsPrefix } from '../checkpoint/checkpoint-storage-layout';
import type { RestorePoint } from '../checkpoint/restore-point';
import { restoreHandlesFor } from '../checkpoint/restore-assignment';
import type { TaskRestoreHandles } from '../checkpoint/state-handles';
import type { CheckpointCorruptError } from '../errors';
import { CheckpointFailedError, ConflictError, NotFoundError } from '../errors';
import type { JobGraph } from '../graph/job-graph';
import { keyGroupRangeForSubtask } from '../graph/key-groups';
import type {
  AcknowledgeCheckpointMessage,
  DeclineCheckpointMessage,
  TaskRef,
} from '../rpc/control-protocol';
import type { BlobStore } from '../storage/blob-store';
import type { Logger } from '../util/logger';
import { assertStateMapped } from '../checkpoint/state-mapping';
import type { JobMasterContext } from './job-master-context';

/** The statistics of a job without checkpoint storage. */
export const EMPTY_CHECKPOINT_STATS: JobCheckpointStats = {
  counts: { restored: 0, total: 0, inProgress: 0, completed: 0, failed: 0 },
  latest: {},
  history: [],
};

export interface JobCheckpointsOptions {
  readonly jobId: string;
  readonly jobGraph: JobGraph;
  readonly settings: CheckpointSettings;
  readonly blobStore: BlobStore;
  readonly counter: CheckpointIdCounter;
  readonly stateBackend: 'heap' | 'kv';
  readonly logger: Logger;
  /** Throws when this job manager no longer leads: no checkpoint may complete then (§9). */
  readonly assertLeader?: () => Promise<void>;
}

/** The checkpointing of job `jobId`, or none when the context has no storage or settings for it. */
export function jobCheckpointsFor(
  jobId: string,
  jobGraph: JobGraph,
  ctx: JobMasterContext,
): JobCheckpoints | undefined {
  const blobStore = ctx.checkpointStorage ?? ctx.blobStore;
  if (!blobStore || !ctx.checkpointing) return undefined;
  return new JobCheckpoints({
    jobId,
    jobGraph,
    settings: ctx.checkpointing,
    blobStore,
    counter: ctx.checkpointIdCounter ?? new InMemoryCheckpointIdCounter(),
    stateBackend: jobGraph.settings.stateBackend ?? 'heap',
    logger: ctx.logger,
    ...(ctx.assertLeader ? { assertLeader: ctx.assertLeader } : {}),
  });
}

/**
 * A job master's checkpointing across attempts: which checkpoint each attempt restores (with
 * fallback past corrupt ones), the coordinator of the running attempt, statistics, and
 * retention once the job ended (docs/architecture.md §6).
 */
export class JobCheckpoints {
  readonly stats = new CheckpointStatsTracker();
  readonly store: CompletedCheckpointStore;
  private coordinator: CheckpointCoordinator | undefined;
  /** Checkpoints found corrupt (metadata or a state object): never restored again. */
  private readonly unusable = new Set<number>();
  private restored: CompletedCheckpoint | undefined;
  /** The savepoint (or checkpoint) the job was started from, until found corrupt. */
  private startPoint: CompletedCheckpoint | undefined;
  private attempt = -1;
  /** End-of-input reports that arrived before the coordinator started. */
  private earlyEnded: TaskRef[] = [];

  constructor(private readonly o: JobCheckpointsOptions) {
    this.store = new CompletedCheckpointStore(
      o.blobStore,
      o.jobId,
      o.settings.retained,
      o.logger,
      o.assertLeader,
    );
  }

  get settings(): CheckpointSettings {
    return this.o.settings;
  }

  /**
   * Picks what `attempt` restores: `restore` for a first attempt given one, else the newest
   * completed checkpoint that verifies. Each corrupt one skipped is passed to `onCorrupt`.
   */
  async prepareAttempt(
    attempt: number,
    restore: RestorePoint | undefined,
    onCorrupt: (err: CheckpointCorruptError, checkpointId: number) => void,
  ): Promise<CompletedCheckpoint | undefined> {
    this.attempt = attempt;
    this.earlyEnded = [];
    // A job that does not checkpoint has none of its own: only a given restore point counts.
    if (attempt === 0 && restore) {
      this.restored = this.startPoint = await this.store.readAt(restore.metadataKey);
      assertStateMapped(
        this.restored,
        this.o.jobGraph,
        restore.allowNonRestoredState ?? false,
        this.o.logger,
      );
    } else if (this.o.settings.enabled)
      // Until the job completed a checkpoint of its own, a failover restores what it started from.
      this.restored = (await this.store.latest(this.unusable, onCorrupt)) ?? this.startPoint;
    else this.restored = attempt === 0 ? undefined : this.restored;
    if (this.restored) {
      const { checkpointId } = this.restored.metadata;
      this.stats.onRestored({
        id: checkpointId,
        restoreTimestamp: Date.now(),
        externalPath: this.restored.externalPath,
        isSavepoint: this.restored.metadata.kind === 'savepoint',
      });
      this.o.logger.info({ jobId: this.o.jobId, attempt, checkpointId }, 'restoring from checkpoint');
    }
    return this.restored;
  }

  /** A task of the attempt failed with SLUICE_CHECKPOINT_CORRUPT: what it restored is unusable. */
  markRestoredUnusable(): number | undefined {
    const id = this.restored?.metadata.checkpointId;
    if (this.restored === this.startPoint) this.startPoint = undefined;
    if (id === undefined) return undefined;
    this.unusable.add(id);
    this.o.logger.warn(
      { jobId: this.o.jobId, checkpointId: id },
      'checkpoint is corrupt; the next attempt restores an older one',
    );
    return id;
  }

  /** What one subtask's deployment descriptor carries about checkpoints. */
  forSubtask(
    vertexId: string,
    subtask: number,
  ): { checkpointing?: TaskCheckpointing; restore?: TaskRestoreHandles } {
    const restore = this.restored
      ? restoreHandlesFor(this.restored.metadata, this.o.jobGraph, vertexId, subtask, this.restored.dir)
      : undefined;
    return {
      ...(this.o.settings.enabled ? { checkpointing: this.taskCheckpointing(vertexId, subtask) } : {}),
      ...(restore ? { restore } : {}),
    };
  }

  /** Every subtask of the job, where it runs, and whether it is a source (no network input). */
  tasksOf(taskManagerOf: (vertexId: string, subtask: number) => string | undefined): CoordinatedTask[] {
    const { jobGraph } = this.o;
    const withInputs = new Set(jobGraph.edges.map((e) => e.targetVertex));
    return jobGraph.vertices.flatMap((v) =>
      Array.from({ length: v.parallelism }, (_, subtaskIndex) => ({
        vertexId: v.id,
        subtaskIndex,
        taskManagerId: taskManagerOf(v.id, subtaskIndex) ?? '',
        isSource: !withInputs.has(v.id),
      })),
    );
  }

  /** Starts the coordinator once every task of `attempt` runs. */
  async startCoordinator(
    attempt: number,
    tasks: readonly CoordinatedTask[],
    taskExecutor: (taskManagerId: string) => CheckpointTaskManagerGateway | undefined,
    onFailure: (error: CheckpointFailedError) => void,
  ): Promise<void> {
    if (!this.o.settings.enabled || attempt !== this.attempt || this.coordinator) return;
    const stored = await this.store.storedIds();
    this.coordinator = new CheckpointCoordinator({
      jobId: this.o.jobId,
      attempt,
      jobGraph: this.o.jobGraph,
      settings: this.o.settings,
      tasks,
      taskExecutor,
      store: this.store,
      blobStore: this.o.blobStore,
      counter: this.o.counter,
      stats: this.stats,
      latestCompletedId: stored.latestCompleted,
      highestStoredId: stored.highest,
      ...(this.restored ? { restored: this.restored.metadata, restoredDir: this.restored.dir } : {}),
      onFailure,
      logger: this.o.logger,
    });
    this.coordinator.start();
    for (const task of this.earlyEnded) this.coordinator.endOfInput(task);
    this.earlyEnded = [];
  }

  /**
   * Every task of `attempt` runs: starts its coordinator (when the job checkpoints). A failure
   * to start is logged and handed to `onFailure` (the job master fails the attempt).
   */
  startAttempt(
    attempt: number,
    taskManagerOf: (vertexId: string, subtask: number) => string | undefined,
    taskExecutor: (taskManagerId: string) => CheckpointTaskManagerGateway | undefined,
    onFailure: (error: CheckpointFailedError) => void,
  ): void {
    if (!this.o.settings.enabled) return;
    this.startCoordinator(attempt, this.tasksOf(taskManagerOf), taskExecutor, onFailure).catch(
      (err: unknown) => {
        this.o.logger.error(
          { jobId: this.o.jobId, attempt, err },
          'starting the checkpoint coordinator failed',
        );
        onFailure(
          new CheckpointFailedError(`checkpointing could not start: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      },
    );
  }

  /** Aborts the attempt's checkpoints in progress; the next attempt gets a new coordinator. */
  async stopCoordinator(reason: string): Promise<void> {
    const coordinator = this.coordinator;
    this.coordinator = undefined;
    await coordinator?.stop(reason);
  }

  acknowledge(m: AcknowledgeCheckpointMessage): void {
    this.coordinator?.acknowledge(m);
  }

  decline(m: DeclineCheckpointMessage): void {
    this.coordinator?.decline(m);
  }

  taskFinished(task: TaskRef): void {
    if (task.attempt === this.attempt) this.coordinator?.taskFinished(task);
  }

  endOfInput(task: TaskRef): void {
    if (task.attempt !== this.attempt) return;
    if (this.coordinator) this.coordinator.endOfInput(task);
    else this.earlyEnded.push(task);
  }

  /** A manual checkpoint (REST `POST /jobs/:id/checkpoints`). */
  async triggerManual(): Promise<{ checkpointId: number; externalPath: string }> {
    if (!this.o.settings.enabled)
      throw new ConflictError(
        `job ${this.o.jobId} does not checkpoint (set execution.checkpointing.interval)`,
      );
    if (!this.coordinator)
      throw new ConflictError(
        `job ${this.o.jobId} has no attempt to checkpoint right now: its tasks are being deployed or restarted (checkpoints start once every task runs)`,
      );
    const completed = await this.coordinator.trigger('manual');
    return { checkpointId: completed.metadata.checkpointId, externalPath: completed.externalPath };
  }

  /**
   * A savepoint into `dir` (a blob key under `savepoints/`, validated by the caller): aligned
   * like every exactly-once checkpoint, never pruned. Resolves once `_metadata` is written.
   */
  async triggerSavepoint(
    dir: string,
    { stop, thenCancel = false }: { stop?: StopMode; thenCancel?: boolean } = {},
  ): Promise<{ checkpointId: number; externalPath: string }> {
    if (!this.o.settings.enabled)
      throw new ConflictError(
        `job ${this.o.jobId} does not checkpoint, so it cannot take a savepoint (set execution.checkpointing.interval)`,
      );
    if (!this.coordinator) throw new ConflictError(`job ${this.o.jobId} is not running`);
    const completed = stop
      ? await this.coordinator.triggerStop(dir, stop)
      : await this.coordinator.trigger('savepoint', dir, { thenCancel });
    return { checkpointId: completed.metadata.checkpointId, externalPath: completed.externalPath };
  }

  checkpointStats(): JobCheckpointStats {
    return this.stats.stats();
  }

  checkpointDetails(checkpointId: number): CheckpointDetails {
    const details = this.stats.details(checkpointId);
    if (!details)
      throw new NotFoundError(`job ${this.o.jobId} has no checkpoint ${checkpointId} in its history`);
    return details;
  }

  checkpointConfig(): JobCheckpointConfig {
    const s = this.o.settings;
    return {
      enabled: s.enabled,
      mode: s.mode,
      ...(s.intervalMs !== undefined ? { intervalMs: s.intervalMs } : {}),
      timeoutMs: s.timeoutMs,
      minPauseMs: s.minPauseMs,
      maxConcurrent: s.maxConcurrent,
      tolerableFailures: s.tolerableFailures,
      retainedCheckpoints: s.retained,
      externalization: s.retention,
      stateBackend: this.o.stateBackend,
      checkpointStorage: this.o.blobStore.describe(jobCheckpointsPrefix(this.o.jobId)),
    };
  }

  /**
   * Retention once the job ended: FAILED keeps its checkpoints (to resume from), CANCELED and
   * FINISHED delete them unless `retain-on-cancellation`.
   */
  async onJobEnded(status: 'FINISHED' | 'FAILED' | 'CANCELED'): Promise<void> {
    await this.stopCoordinator(`job ${status.toLowerCase()}`);
    if (!this.o.settings.enabled) return;
    if (status !== 'FAILED' && this.o.settings.retention === 'delete-on-cancellation') {
      const deleted = await this.store.discardAll();
      this.o.logger.info({ jobId: this.o.jobId, status, deleted }, 'deleted the job checkpoints');
    }
    await this.o.counter
      .discard(this.o.jobId)
      .catch((err: unknown) =>
        this.o.logger.warn({ jobId: this.o.jobId, err }, 'discarding the checkpoint id counter failed'),
      );
  }

  private taskCheckpointing(vertexId: string, subtask: number): TaskCheckpointing {
    const vertex = this.o.jobGraph.vertices.find((v) => v.id === vertexId)!;
    const keyGroupRanges = Object.fromEntries(
      vertex.operators.map((op) => [
        op.id,
        keyGroupRangeForSubtask(op.maxParallelism, vertex.parallelism, subtask),
      ]),
    );
    const mode: CheckpointingMode = this.o.settings.mode;
    return { mode, keyGroupRanges };
  }
}
