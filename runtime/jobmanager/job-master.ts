import type { SlotRegistry } from '../coordination/slot-registry';
import type { SerializedError } from '../errors';
import { JobFailedError, serializeError } from '../errors';
import type { ExecutionVertex } from '../graph/execution-graph';
import { buildExecutionGraph } from '../graph/execution-graph';
import type { PeerAddress } from '../network/exchange-transport';
import type { NetworkSettings } from '../taskmanager/task-deployment';
import { createDeploymentDescriptor } from '../taskmanager/task-deployment';
import type { Logger } from '../util/logger';
import { sleep } from '../util/wait';
import { CONTROL } from './control-messages';
import type {
  CancelJobRequest,
  DeployTaskRequest,
  TaskMetricsMessage,
  TaskOutputMessage,
  TaskStateMessage,
} from './control-messages';
import type { FailureLocation, JobExceptions } from './exception-history';
import { ExceptionHistory } from './exception-history';
import { ExecutionTracker } from './execution-tracker';
import type { JobDetails, JobOutputPage, JobStatus, JobSubmission, JobSummary } from './gateway';
import { TERMINAL_JOB_STATUSES } from './gateway';
import { JobOutput } from './job-output';
import type { ResourceManager } from './resource-manager';
import type { RestartStrategy } from './restart-strategy';
import type { SlotAssignment } from './slot-scheduler';
import { allocateSlots, slotRequests } from './slot-scheduler';
import type { TaskManagerPool } from './task-manager-pool';

export interface JobMasterContext {
  readonly registry: SlotRegistry;
  readonly resourceManager: ResourceManager;
  readonly network: Omit<NetworkSettings, 'bufferTimeoutMs'>;
  readonly slotRequestTimeoutMs: number;
  readonly restartStrategy: RestartStrategy;
  readonly exchange: 'tcp' | 'sqs';
  readonly fencingToken: () => number;
  /** Cleans up after a job's exchange (SQS queues) once the job ended. */
  readonly onJobEnded?: (jobId: string, exchange: 'tcp' | 'sqs') => Promise<void>;
  /** Per-job mode: TaskManagers started for this job and stopped after it. */
  readonly pool?: TaskManagerPool;
  readonly logger: Logger;
}

/** Why the running attempt ended, if not by finishing. */
class AttemptFailure extends Error {
  constructor(
    readonly serialized: SerializedError,
    readonly location: FailureLocation = {},
  ) {
    super(serialized.message);
  }
}

/**
 * Runs one job (Flink's JobMaster): allocates slots, deploys every subtask to its
 * TaskManager, follows their states, and on a failure tears the attempt down and restarts it
 * by the restart strategy (from scratch until checkpoints exist), or fails the job.
 */
export class JobMaster {
  status: JobStatus = 'CREATED';
  attempt = -1;
  restarts = 0;
  readonly startTime = Date.now();
  endTime: number | undefined;
  failure: (SerializedError & { timestamp: number }) | undefined;
  readonly output = new JobOutput();
  private readonly exceptions = new ExceptionHistory();
  private readonly tracker: ExecutionTracker;
  private slots: SlotAssignment[] = [];
  private settleAttempt: ((failure?: AttemptFailure) => void) | undefined;
  private canceled = false;
  private readonly done: Promise<void>;

  constructor(
    readonly jobId: string,
    readonly submission: JobSubmission,
    private readonly ctx: JobMasterContext,
  ) {
    this.tracker = new ExecutionTracker(submission.jobGraph);
    this.done = this.run();
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
    this.status = 'CANCELLING';
    this.settleAttempt?.(new AttemptFailure({ name: 'JobCanceledError', message: 'canceled by the user' }));
  }

  onTaskState(m: TaskStateMessage): void {
    if (m.attempt !== this.attempt || !this.tracker.transition(m.vertexId, m.subtaskIndex, m.state, m.error))
      return;
    if (m.state === 'FAILED') {
      const error = m.error ?? { name: 'Error', message: 'task failed' };
      const taskName = this.taskName(m.vertexId, m.subtaskIndex);
      const taskManagerId = this.tracker.taskManagerOf(m.vertexId, m.subtaskIndex);
      this.settleAttempt?.(
        new AttemptFailure(
          { ...error, message: `task ${taskName} failed: ${error.message}` },
          {
            vertexId: m.vertexId,
            taskName: taskName.slice(1, -1),
            subtask: m.subtaskIndex,
            ...(taskManagerId ? { taskManagerId } : {}),
          },
        ),
      );
    } else if (m.state === 'FINISHED' && this.tracker.count('FINISHED') === this.tracker.size) {
      this.settleAttempt?.();
    }
  }

  onTaskOutput(m: TaskOutputMessage): void {
    if (m.attempt !== this.output.attempt) return;
    if (m.lines) this.output.addLines(m.lines);
    if (m.results) this.output.addResults(m.results);
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

  outputPage(fromLine: number, fromResult: number): JobOutputPage {
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
    };
  }

  private async run(): Promise<void> {
    for (;;) {
      const failure = await this.runAttempt().catch(
        (err: unknown) => new AttemptFailure(serializeError(err)),
      );
      await this.teardownAttempt(failure ? 'CANCELED' : 'FINISHED');
      if (!failure) return this.end('FINISHED');
      if (this.canceled) return this.end('CANCELED');
      this.failure = { ...failure.serialized, timestamp: Date.now() };
      this.exceptions.add(failure.serialized, this.attempt, failure.location, this.failure.timestamp);
      // Missing slots already waited for slot.request.timeout: restarting would only wait again.
      const delay =
        failure.serialized.code === 'SLUICE_NO_RESOURCES'
          ? undefined
          : this.ctx.restartStrategy.onFailure(Date.now());
      this.ctx.logger.warn(
        { jobId: this.jobId, attempt: this.attempt, cause: failure.message, delay },
        'job attempt failed',
      );
      if (delay === undefined) return this.end('FAILED');
      this.status = 'RESTARTING';
      this.restarts++;
      await sleep(delay);
      if (this.canceled) return this.end('CANCELED');
    }
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
      },
    );
    if (this.canceled)
      return new AttemptFailure({ name: 'JobCanceledError', message: 'canceled by the user' });
    this.status = 'RUNNING';
    const deployment = this.deployAll().catch((err: unknown) =>
      this.settleAttempt?.(new AttemptFailure(serializeError(err))),
    );
    const result = await settled;
    await deployment;
    return result;
  }

  private async usableTaskManagers(): Promise<Awaited<ReturnType<ResourceManager['usableTaskManagers']>>> {
    const all = await this.ctx.resourceManager.usableTaskManagers();
    return this.ctx.pool ? all.filter((tm) => this.ctx.pool!.owns(this.jobId, tm.id)) : all;
  }

  private async deployAll(): Promise<void> {
    const { jobGraph } = this.submission;
    const vertices = buildExecutionGraph(jobGraph, this.jobId, this.attempt);
    // Looked up once per channel end: index the slots instead of searching them.
    const groupOf = new Map(jobGraph.vertices.map((v) => [v.id, v.slotSharingGroup]));
    const slots = new Map(this.slots.map((s) => [`${s.group}/${s.index}`, s]));
    const slotOf = (vertexId: string, subtask: number): SlotAssignment =>
      slots.get(`${groupOf.get(vertexId)!}/${subtask}`)!;
    await Promise.all(vertices.map((v) => this.deploy(v, slotOf)));
  }

  private async deploy(
    vertex: ExecutionVertex,
    slotOf: (vertexId: string, subtask: number) => SlotAssignment,
  ): Promise<void> {
    const slot = slotOf(vertex.vertexId, vertex.subtaskIndex);
    const network: NetworkSettings = {
      ...this.ctx.network,
      bufferTimeoutMs: this.submission.jobGraph.settings.bufferTimeoutMs,
    };
    // modulePath is the TaskManager's business: it fills in where it cached the bundle.
    const code = {
      modulePath: '',
      args: this.submission.args,
      buildSettings: this.submission.buildSettings,
      graphHash: this.submission.jobGraph.graphHash,
    };
    const tdd = createDeploymentDescriptor(
      this.jobId,
      this.attempt,
      this.submission.jobGraph,
      code,
      vertex,
      network,
    );
    const remotePeers: Record<string, PeerAddress> = {};
    for (const channel of [...vertex.inputs, ...vertex.outputs].flatMap((g) => g.channels)) {
      const peer = slotOf(channel.peerVertex, channel.peerSubtask);
      if (peer.taskManagerId !== slot.taskManagerId) {
        remotePeers[channel.id] = {
          taskManagerId: peer.taskManagerId,
          host: peer.dataHost,
          port: peer.dataPort,
        };
      }
    }
    this.tracker.place(vertex.vertexId, vertex.subtaskIndex, slot.taskManagerId, slot.dataHost);
    const connection = this.ctx.resourceManager.connection(slot.taskManagerId);
    if (!connection) throw new JobFailedError(`TaskManager ${slot.taskManagerId} is not connected`);
    this.tracker.transition(vertex.vertexId, vertex.subtaskIndex, 'DEPLOYING');
    const request: DeployTaskRequest = {
      fencingToken: this.ctx.fencingToken(),
      tdd,
      artifact: this.submission.artifact,
      remotePeers,
      heapMb: slot.heapMb,
      exchange: this.exchange,
    };
    await connection.call(CONTROL.deployTask, request);
  }

  private async teardownAttempt(finalTaskState: 'CANCELED' | 'FINISHED'): Promise<void> {
    this.settleAttempt = undefined;
    const taskManagers = new Set(this.slots.map((s) => s.taskManagerId));
    const request: CancelJobRequest = {
      fencingToken: this.ctx.fencingToken(),
      jobId: this.jobId,
      attempt: this.attempt,
    };
    await Promise.allSettled(
      [...taskManagers].map((id) =>
        this.ctx.resourceManager.connection(id)?.call(CONTROL.cancelJob, request, 10_000),
      ),
    );
    this.tracker.finishAll(finalTaskState);
    await this.ctx.registry.freeJobSlots(this.jobId).catch(() => 0);
    this.slots = [];
  }

  private async end(status: 'FINISHED' | 'FAILED' | 'CANCELED'): Promise<void> {
    this.status = status;
    this.endTime = Date.now();
    await this.ctx.pool?.release(this.jobId);
    await this.ctx
      .onJobEnded?.(this.jobId, this.exchange)
      .catch((err: unknown) =>
        this.ctx.logger.warn({ jobId: this.jobId, err }, 'cleaning up after the job failed'),
      );
    this.ctx.logger.info({ jobId: this.jobId, status, restarts: this.restarts }, 'job ended');
  }

  private taskName(vertexId: string, subtask: number): string {
    const v = this.submission.jobGraph.vertices.find((x) => x.id === vertexId);
    return `'${v?.name ?? vertexId} (${subtask + 1}/${v?.parallelism ?? '?'})'`;
  }
}
