import { setTimeout as sleep } from 'node:timers/promises';
import type { RestorePoint } from '../checkpoint/restore-point';
import type { JobCheckpointStats } from '../checkpoint/checkpoint-stats';
import type { TaskManagerView } from '../coordination/slot-registry';
import type { SerializedError } from '../error-wire';
import { IllegalStateTransitionError } from '../errors';
import { serializeError, withoutServerStacks } from '../error-wire';
import type {
  AcknowledgeCheckpointMessage,
  DeclineCheckpointMessage,
  TaskMetricsMessage,
  TaskOutputMessage,
  TaskRef,
  TaskStateMessage,
} from '../rpc/control-protocol';
import type { JobExceptions } from './exception-history';
import { ExceptionHistory } from './exception-history';
import type { AttemptOnSlots } from './attempt-deployment';
import { deployAttempt, releaseAttempt } from './attempt-deployment';
import { ExecutionTracker } from './execution-tracker';
import type { JobDetails, JobOutputPage, JobStatus, JobSubmission, JobSummary } from './gateway';
import { TERMINAL_JOB_STATUSES } from './gateway';
import type { JobCheckpoints } from './job-checkpoints';
import { EMPTY_CHECKPOINT_STATS, jobCheckpointsFor } from './job-checkpoints';
import type { JobMasterContext } from './job-master-context';
import { JobOutput } from './job-output';
import type { EndedJob } from './job-end';
import { cleanUpEndedJob } from './job-end';
import { AttemptFailure, restartDelay, taskFailure } from './attempt-failure';
import { JobStatusMachine } from './job-status-machine';
import { CheckpointRequests } from './checkpoint-requests';
import type { SlotAssignment, SlotWait } from './slot-scheduler';
import { allocateSlots, describeSlotWait, slotRequests } from './slot-scheduler';

/**
 * Runs one job (Flink's JobMaster), in a cluster and embedded alike: once started, allocates
 * slots, deploys every subtask to its TaskManager, follows their states, and on a failure
 * tears the attempt down and restarts it by the restart strategy (from scratch until
 * checkpoints exist), or fails the job. Its status moves only along `JOB_STATUS_TRANSITIONS`.
 */
export class JobMaster {
  attempt = -1;
  restarts = 0;
  readonly startTime = Date.now();
  endTime: number | undefined;
  failure: (SerializedError & { timestamp: number }) | undefined;
  readonly output: JobOutput;
  private readonly exceptions = new ExceptionHistory();
  private readonly tracker: ExecutionTracker;
  private slots: SlotAssignment[] = [];
  private slotWait: SlotWait | undefined;
  private settleAttempt: ((failure?: AttemptFailure) => void) | undefined;
  private canceled = false;
  /** Stopped by a leadership loss: the job is not over, another job manager takes it on. */
  private suspended = false;
  /** Aborted by `cancel()`: wakes a restart delay early. */
  private readonly canceling = new AbortController();
  private readonly lifecycle: JobStatusMachine;
  private started = false;
  private restorePoint: RestorePoint | undefined;
  private readonly done: Promise<void>;
  /** Checkpoints, restore and their statistics (read by the dispatcher); absent without a blob store. */
  readonly checkpoints: JobCheckpoints | undefined;
  private settleDone!: { resolve: () => void; reject: (err: unknown) => void };

  constructor(
    readonly jobId: string,
    readonly submission: JobSubmission,
    private readonly ctx: JobMasterContext,
  ) {
    this.tracker = new ExecutionTracker(submission.jobGraph);
    this.output = new JobOutput(jobId, {
      ...(ctx.blobStore ? { store: ctx.blobStore } : {}),
      logger: ctx.logger,
    });
    this.lifecycle = new JobStatusMachine(jobId);
    this.checkpoints = jobCheckpointsFor(jobId, submission.jobGraph, ctx);
    this.done = new Promise((resolve, reject) => (this.settleDone = { resolve, reject }));
  }

  get status(): JobStatus {
    return this.lifecycle.status;
  }

  /** The checkpoint the job started from, when it was given one. */
  get restoredFrom(): RestorePoint | undefined {
    return this.restorePoint;
  }

  /**
   * Starts running the job; returns at once, `whenTerminal()` tells when it ended. `restore`
   * is the checkpoint to start from; `firstAttempt` the number of the first attempt (a job
   * recovered by a new leader must not reuse an attempt number its tasks may still carry).
   * @throws IllegalStateTransitionError when the job was started or canceled before.
   */
  start(restore?: RestorePoint, firstAttempt = 0): void {
    if (this.started || this.status !== 'CREATED')
      throw new IllegalStateTransitionError(this.status, 'RUNNING', `job ${this.jobId} was started before`);
    this.started = true;
    this.attempt = firstAttempt - 1;
    this.restorePoint = restore;
    this.run().then(this.settleDone.resolve, this.settleDone.reject);
  }

  get exchange(): 'tcp' | 'sqs' {
    return this.submission.jobGraph.settings.exchange ?? this.ctx.exchange;
  }

  get name(): string {
    return this.submission.jobGraph.jobName;
  }

  /** Resolves once the job reached FINISHED, FAILED or CANCELED. */
  whenTerminal(): Promise<void> {
    return this.done;
  }

  cancel(): void {
    if (TERMINAL_JOB_STATUSES.has(this.status) || this.canceled) return;
    this.canceled = true;
    this.lifecycle.transitionTo('CANCELLING');
    this.canceling.abort();
    this.settleAttempt?.(new AttemptFailure({ name: 'JobCanceledError', message: 'canceled by the user' }));
    if (!this.started) this.end('CANCELED').then(this.settleDone.resolve, this.settleDone.reject);
  }

  /**
   * Stops the job here because this job manager lost its leadership (Flink's SUSPENDED): its
   * tasks are canceled, but no result is recorded and its checkpoints, checkpoint ids and
   * exchange stay, so the new leader recovers it from its latest completed checkpoint.
   */
  suspend(reason: string): void {
    if (TERMINAL_JOB_STATUSES.has(this.status) || this.canceled) return;
    this.suspended = true;
    this.ctx.logger.warn({ jobId: this.jobId, reason }, 'job suspended: this job manager no longer leads');
    this.cancel();
  }

  onTaskState(m: TaskStateMessage): void {
    if (m.attempt !== this.attempt || !this.tracker.transition(m.vertexId, m.subtaskIndex, m.state, m.error))
      return;
    if (m.state === 'FAILED') {
      const taskManagerId = this.tracker.taskManagerOf(m.vertexId, m.subtaskIndex);
      this.settleAttempt?.(taskFailure(this.submission.jobGraph, m, taskManagerId));
    } else if (m.state === 'FINISHED') {
      this.checkpoints?.taskFinished(m);
      if (this.tracker.count('FINISHED') === this.tracker.size) this.settleAttempt?.();
    } else if (m.state === 'RUNNING' && this.tracker.count('RUNNING') === this.tracker.size) {
      this.startCheckpointCoordinator(m.attempt);
    }
  }

  acknowledgeCheckpoint(m: AcknowledgeCheckpointMessage): void {
    if (m.attempt === this.attempt) this.checkpoints?.acknowledge(m);
  }

  declineCheckpoint(m: DeclineCheckpointMessage): void {
    if (m.attempt === this.attempt) this.checkpoints?.decline(m);
  }

  onTaskEndOfInput(m: TaskRef): void {
    if (m.attempt === this.attempt) this.checkpoints?.endOfInput(m);
  }
  checkpointStats(): JobCheckpointStats {
    return this.checkpoints?.checkpointStats() ?? EMPTY_CHECKPOINT_STATS;
  }

  /** Manual checkpoints, savepoints and stop-with-savepoint; `ConflictError` while not running with checkpoints. */
  get checkpointRequests(): CheckpointRequests {
    return new CheckpointRequests(this.checkpoints, {
      jobId: this.jobId,
      status: () => this.status,
      attempt: () => this.attempt,
      cancel: () => this.cancel(),
      failAttempt: (attempt, failure) => {
        if (attempt === this.attempt) this.settleAttempt?.(failure);
      },
      whenTerminal: () => this.whenTerminal(),
    });
  }

  private startCheckpointCoordinator(attempt: number): void {
    this.checkpoints?.startAttempt(
      attempt,
      (vertexId, subtask) => this.tracker.taskManagerOf(vertexId, subtask),
      (id) => this.ctx.resourceManager.taskExecutor(id),
      (error) => {
        if (attempt === this.attempt) this.settleAttempt?.(new AttemptFailure(serializeError(error)));
      },
    );
  }

  /** Resolves when the job manager can take more output (the sender's acknowledgement). */
  onTaskOutput(m: TaskOutputMessage): Promise<void> {
    return this.output.add(m.attempt, m.lines, m.results);
  }

  onTaskMetrics(m: TaskMetricsMessage): void {
    if (m.attempt === this.attempt) this.tracker.report(m.vertexId, m.subtaskIndex, m.metrics);
  }

  onTaskManagerLost(taskManagerId: string, reason: string): void {
    if (this.settleAttempt && this.tracker.unfinishedOn(taskManagerId) > 0) {
      this.settleAttempt(
        new AttemptFailure(
          { name: 'TaskManagerLostError', message: `TaskManager ${taskManagerId} was lost: ${reason}` },
          { taskManagerId },
        ),
      );
    }
  }

  outputPage(fromLine: number, fromResult: number): Promise<JobOutputPage> {
    return this.output.page(fromLine, fromResult, this.status);
  }

  /** The failures of this job's attempts, newest first (bounded). */
  exceptionHistory(): JobExceptions {
    return this.exceptions.view();
  }

  summary(): JobSummary {
    const end = this.endTime ?? Date.now();
    return {
      jobId: this.jobId,
      name: this.name,
      status: this.status,
      startTime: this.startTime,
      ...(this.endTime ? { endTime: this.endTime } : {}),
      durationMs: end - this.startTime,
      tasks: this.tracker.stateCounts(),
    };
  }

  details(): JobDetails {
    return {
      ...this.summary(),
      attempt: Math.max(0, this.attempt),
      restarts: this.restarts,
      vertices: this.tracker.vertices(),
      edges: this.submission.jobGraph.edges,
      ...(this.failure ? { failure: this.failure } : {}),
      ...(this.slotWait
        ? { statusDetail: describeSlotWait(this.slotWait), waitingForSlots: this.slotWait }
        : {}),
    };
  }

  private async run(): Promise<void> {
    for (;;) {
      const failure = await this.runAttempt().catch(
        (err: unknown) => new AttemptFailure(serializeError(err)),
      );
      const delay = failure && !this.canceled ? this.onAttemptFailed(failure) : undefined;
      // The restart delay counts from the failure, while the failed attempt is torn down, and
      // the next attempt starts once both are done (Flink's DefaultScheduler: restart after
      // max(delay, cancellation)), not after their sum.
      const delayed =
        delay === undefined
          ? undefined
          : sleep(delay, undefined, { signal: this.canceling.signal }).catch(() => undefined);
      await this.teardownAttempt(failure ? 'CANCELED' : 'FINISHED');
      if (this.canceled) return this.end('CANCELED');
      if (!failure) return this.end('FINISHED');
      if (delayed === undefined) return this.end('FAILED');
      this.restarts++;
      await delayed;
      if (this.canceled) return this.end('CANCELED');
    }
  }

  /** Records the failure and moves to RESTARTING or FAILING; returns the restart delay, if any. */
  private onAttemptFailed(failure: AttemptFailure): number | undefined {
    // Clients see messages and the job's own frames; server stacks stay in the log below.
    this.failure = { ...withoutServerStacks(failure.serialized), timestamp: Date.now() };
    this.exceptions.add(this.failure, this.attempt, failure.location, this.failure.timestamp);
    if (failure.serialized.code === 'SLUICE_CHECKPOINT_CORRUPT') this.checkpoints?.markRestoredUnusable();
    const delay = restartDelay(failure, this.ctx.restartStrategy);
    this.ctx.logger.warn(
      { jobId: this.jobId, attempt: this.attempt, cause: failure.message, err: failure.serialized, delay },
      'job attempt failed',
    );
    this.lifecycle.transitionTo(delay === undefined ? 'FAILING' : 'RESTARTING');
    return delay;
  }

  /** Resolves undefined when every task finished, or an `AttemptFailure`. */
  private async runAttempt(): Promise<AttemptFailure | undefined> {
    this.attempt++;
    this.tracker.reset(this.attempt);
    this.output.reset(this.attempt);
    const settled = new Promise<AttemptFailure | undefined>((resolve) => (this.settleAttempt = resolve));
    const { jobGraph } = this.submission;
    await this.ctx.pool?.ensureStarted(this.jobId, slotRequests(jobGraph));
    this.slots = await allocateSlots(
      slotRequests(jobGraph),
      this.ctx.registry,
      () => this.usableTaskManagers(),
      {
        jobId: this.jobId,
        jobName: this.name,
        attempt: this.attempt,
        timeoutMs: this.ctx.slotRequestTimeoutMs,
        isCanceled: () => this.canceled,
        onWaiting: (wait) => this.onSlotWait(wait),
        ...(this.ctx.resourceManager.onTaskManagerRegistered
          ? { onResourcesChanged: (l: () => void) => this.ctx.resourceManager.onTaskManagerRegistered!(l) }
          : {}),
        ...(this.ctx.fencingToken ? { fencingToken: this.ctx.fencingToken } : {}),
      },
    ).finally(() => (this.slotWait = undefined));
    if (this.canceled)
      return new AttemptFailure({ name: 'JobCanceledError', message: 'canceled by the user' });
    await this.checkpoints?.prepareAttempt(this.attempt, this.restorePoint, (err, checkpointId) =>
      this.exceptions.add(
        {
          name: err.name,
          code: err.code,
          message: `${err.message}; checkpoint ${checkpointId} is skipped, an older one is used if one is retained`,
        },
        this.attempt,
        {},
      ),
    );
    // A deposed leader deploys nothing: TaskManagers would refuse its token anyway.
    await this.ctx.assertLeader?.();
    this.lifecycle.transitionTo('RUNNING');
    const deployment = deployAttempt(this.onSlots(this.slots)).then(
      () =>
        this.ctx.logger.info(
          { jobId: this.jobId, attempt: this.attempt, slots: this.slots.length },
          'attempt deployed',
        ),
      (err: unknown) => this.settleAttempt?.(new AttemptFailure(serializeError(err))),
    );
    const result = await settled;
    await deployment;
    return result;
  }

  private onSlotWait(wait: SlotWait | undefined): void {
    const changed = wait?.needed !== this.slotWait?.needed || wait?.available !== this.slotWait?.available;
    if (wait && changed) this.ctx.logger.info({ jobId: this.jobId, ...wait }, describeSlotWait(wait));
    this.slotWait = wait;
  }

  private async usableTaskManagers(): Promise<TaskManagerView[]> {
    const all = await this.ctx.resourceManager.usableTaskManagers();
    return this.ctx.pool ? all.filter((tm) => this.ctx.pool!.owns(this.jobId, tm.id)) : all;
  }

  /** The running attempt on its slots, for deploying and releasing it. */
  private onSlots(slots: readonly SlotAssignment[]): AttemptOnSlots {
    const { registry, resourceManager, network, logger } = this.ctx;
    return {
      jobId: this.jobId,
      attempt: this.attempt,
      submission: this.submission,
      slots,
      exchange: this.exchange,
      network,
      resourceManager,
      registry,
      tracker: this.tracker,
      logger,
      ...(this.checkpoints ? { forSubtask: this.checkpoints.forSubtask.bind(this.checkpoints) } : {}),
    };
  }

  private async teardownAttempt(finalTaskState: 'CANCELED' | 'FINISHED'): Promise<void> {
    this.settleAttempt = undefined;
    await this.checkpoints?.stopCoordinator(`attempt ${this.attempt} ended`);
    const slots = this.slots;
    this.slots = [];
    await releaseAttempt(this.onSlots(slots));
    if (slots.length > 0) this.tracker.finishAll(finalTaskState);
  }

  private async end(status: 'FINISHED' | 'FAILED' | 'CANCELED'): Promise<void> {
    this.lifecycle.transitionTo(status);
    this.endTime = Date.now();
    this.output.seal();
    if (this.suspended) {
      this.ctx.logger.info({ jobId: this.jobId }, 'job suspended; left for the next leader');
      return;
    }
    await cleanUpEndedJob(this.ctx, this.endedJob(this.endTime), status);
  }

  private endedJob(endTime: number): EndedJob {
    const { jobId, name, exchange, startTime, restarts, checkpoints } = this;
    return { jobId, name, exchange, startTime, endTime, restarts, checkpoints };
  }
}
