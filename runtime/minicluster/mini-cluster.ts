import { createHash, randomUUID } from 'node:crypto';
import type { StateSettings } from '../state/state-backend-factory';
import { stateSettingsFrom } from '../state/state-backend-factory';
import type { ResourceLimits } from 'node:worker_threads';
import type { RestorePoint } from '../checkpoint/restore-point';
import { savepointRestorePoint } from '../checkpoint/state-mapping';
import type { ResolvedConfig } from '../config';
import { defaultConfig } from '../config';
import type { TaskManagerView } from '../coordination/slot-registry';
import type { SerializedError } from '../error-wire';
import { JobCanceledError, JobFailedError } from '../errors';
import { deserializeError } from '../error-wire';
import { InMemorySlotRegistry } from '../coordination/embedded/in-memory-slot-registry';
import type { JobGraph } from '../graph/job-graph';
import { JobMaster } from '../jobmanager/job-master';
import { restartStrategyForJob } from '../jobmanager/restart-strategy';
import type { CheckpointIdCounter } from '../checkpoint/checkpoint-id-counter';
import type { JobCheckpointStats } from '../checkpoint/checkpoint-stats';
import { InMemoryCheckpointIdCounter } from '../checkpoint/checkpoint-id-counter';
import { checkpointSettingsFor } from '../checkpoint/checkpoint-settings';
import { blobStoreOptions } from '../services/runtime-services';
import type { BlobStore } from '../storage/blob-store';
import { createBlobStore } from '../storage/create-blob-store';
import { slotRequests } from '../jobmanager/slot-scheduler';
import type { ResourceManagerGateway } from '../jobmanager/task-executor-gateway';
import { LocalChannelProvider } from '../network/channel-provider';
import type { ResourceProfile } from '../deployment/resource-profile';
import { addProfiles, taskManagerResources } from '../deployment/resource-profile';
import type { JobCode, NetworkSettings } from '../deployment/task-deployment';
import { networkSettingsFrom, taskName } from '../deployment/task-deployment';
import type { TaskEvents, TaskKey } from '../taskmanager/task-executor';
import type { TaskMetrics } from '../deployment/execution-state';
import type { ExceptionEntry } from '../jobmanager/exception-history';
import type { Logger } from '../util/logger';
import { createLogger } from '../util/logger';
import { TaskBlobAccess, taskBlobScope } from '../taskmanager/task-blob-access';
import { InProcessTaskManager } from './in-process-task-manager';

export interface EmbeddedRunOptions {
  /** Lines from print sinks, as they arrive, with the attempt that printed them. */
  readonly onOutput?: (lines: string[], attempt: number) => void;
  /**
   * The job restarted from scratch as `attempt` (restart strategy): the lines printed so far
   * belong to a failed attempt and its results are dropped.
   */
  readonly onOutputRestart?: (attempt: number) => void;
  /** Restart strategy, slot request timeout, network defaults. Default: the config's defaults. */
  readonly config?: ResolvedConfig;
  /** Exchange settings; the buffer timeout is the job's (`execution.buffer-timeout`). */
  readonly network?: Partial<Omit<NetworkSettings, 'bufferTimeoutMs'>>;
  readonly resourceLimits?: ResourceLimits;
  /** Where tasks keep state (the default config's settings when not given). */
  readonly state?: StateSettings;
  /** Aborting cancels the job: every task thread is stopped and the promise rejects. */
  readonly signal?: AbortSignal;
  /** Start from this savepoint, in the config's blob store (`sluice run --from-savepoint`). */
  readonly savepoint?: { readonly path: string; readonly allowNonRestoredState?: boolean };
}

export interface JobResult {
  readonly jobId: string;
  readonly jobName: string;
  readonly durationMs: number;
  /** Everything collect sinks of the finishing attempt sent, in arrival order. */
  readonly results: unknown[];
  readonly recordsIn: number;
  /** Final counters of every task of the finishing attempt, by task name. */
  readonly tasks: Record<string, TaskMetrics>;
  /** How often the job restarted by its restart strategy before it finished. */
  readonly restarts: number;
  /** Why it restarted: the failed attempts, newest first (Flink's exception history, bounded). */
  readonly failures: readonly ExceptionEntry[];
  /** Checkpoint counts over the job's attempts (Flink's checkpoint statistics `counts`). */
  readonly checkpoints: JobCheckpointStats['counts'];
}

/** The config's defaults of `taskmanager.network.*`. */
export const DEFAULT_NETWORK_SETTINGS: Readonly<Omit<NetworkSettings, 'bufferTimeoutMs'>> = Object.freeze(
  networkSettingsFrom(defaultConfig()),
);

export interface MiniClusterOptions {
  /** Restart strategy, slot request timeout and network defaults. Default: the config's defaults. */
  readonly config?: ResolvedConfig;
  /** In-process TaskManagers to start (default 1). */
  readonly taskManagers?: number;
  readonly slotsPerTaskManager: number;
  /** Resources each TaskManager offers for slot profiles. Default: its `taskmanager.*` config. */
  readonly resources?: ResourceProfile;
  readonly network?: Partial<Omit<NetworkSettings, 'bufferTimeoutMs'>>;
  /** Limits of every task thread (default none). */
  readonly resourceLimits?: ResourceLimits;
  /** Told of every task report, besides the job master. */
  readonly listener?: Partial<TaskEvents>;
  /** Where tasks keep state. Default: the config's `state.*` settings. */
  readonly state?: StateSettings;
  /** Where checkpoints go. Default: the config's blob store (`storage.*`), closed with the cluster. */
  readonly blobStore?: BlobStore;
  readonly logger?: Logger;
}

/**
 * A whole cluster in one process (Flink's MiniCluster): the real job master (slot allocation,
 * restart strategy, from now on checkpoints) over the embedded slot registry and in-process
 * TaskManagers that run the real task executor, one thread per subtask. No sockets: the
 * job master reaches TaskManagers through their `TaskExecutorGateway` directly, and every
 * channel is a local MessageChannel.
 */
export class MiniCluster implements ResourceManagerGateway {
  private readonly config: ResolvedConfig;
  readonly logger: Logger;
  private readonly registry = new InMemorySlotRegistry();
  private readonly channels = new LocalChannelProvider();
  private readonly taskManagers = new Map<string, InProcessTaskManager>();
  private readonly jobs = new Map<string, JobMaster>();
  /** Job module paths by the artifact name their submissions carry. */
  private readonly modules = new Map<string, string>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Checkpoint storage: the configured blob store unless one was given. */
  readonly blobStore: BlobStore;
  private readonly ownsBlobStore: boolean;
  private readonly checkpointIds: CheckpointIdCounter = new InMemoryCheckpointIdCounter();

  constructor(private readonly options: MiniClusterOptions) {
    this.config = options.config ?? defaultConfig();
    this.logger = options.logger ?? createLogger('minicluster');
    this.ownsBlobStore = options.blobStore === undefined;
    this.blobStore = options.blobStore ?? createBlobStore(blobStoreOptions(this.config));
  }

  /** Registers the TaskManagers and their slots; keeps their leases renewed until `close()`. */
  async start(): Promise<void> {
    const leaseMs = this.config['heartbeat.timeout'];
    // One store for checkpoints and for the tasks' `s3://` paths (allowed only when it is S3).
    const scope = taskBlobScope(this.config);
    const blobAccess = new TaskBlobAccess(this.blobStore, scope, this.logger);
    for (let i = 0; i < (this.options.taskManagers ?? 1); i++) {
      const taskManager = new InProcessTaskManager({
        record: {
          id: `minicluster-tm-${i}`,
          // Nothing dials an in-process TaskManager: all its channels are local.
          dataHost: 'in-process',
          dataPort: 0,
          numberOfSlots: this.options.slotsPerTaskManager,
          totalResources: this.options.resources ?? taskManagerResources(this.config),
          registeredAt: Date.now(),
        },
        channels: this.channels,
        jobMaster: (jobId) => this.jobs.get(jobId),
        modulePath: (artifact) => this.modulePath(artifact),
        ...(this.options.listener ? { listener: this.options.listener } : {}),
        ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}),
        state: this.options.state ?? stateSettingsFrom(this.config),
        blobAccess,
        blobStore: this.blobStore,
        logger: this.logger,
      });
      await this.registry.registerTaskManager(taskManager.record, leaseMs);
      this.taskManagers.set(taskManager.record.id, taskManager);
    }
    const renew = async (): Promise<void> => {
      for (const id of this.taskManagers.keys()) {
        if (!(await this.registry.heartbeat(id, leaseMs)))
          this.logger.warn(
            { taskManagerId: id },
            'in-process TaskManager lease expired (event loop stalled?)',
          );
      }
    };
    this.heartbeat = setInterval(() => void renew(), this.config['heartbeat.interval']);
    this.heartbeat.unref();
  }

  /** Creates the job's master and starts it (from `restore` when given). */
  submitJob(jobGraph: JobGraph, code: JobCode, restore?: RestorePoint): JobMaster {
    const jobId = randomUUID().replaceAll('-', '');
    // The module is local: its artifact only names its path for the TaskManagers.
    const artifact = createHash('sha256').update(code.modulePath).digest('hex');
    this.modules.set(artifact, code.modulePath);
    const checkpointing = checkpointSettingsFor(this.config, jobGraph.settings);
    const job = new JobMaster(
      jobId,
      { jobGraph, artifact, args: code.args, buildSettings: code.buildSettings },
      {
        registry: this.registry,
        resourceManager: this,
        network: { ...networkSettingsFrom(this.config), ...this.options.network },
        slotRequestTimeoutMs: this.config['slot.request.timeout'],
        restartStrategy: restartStrategyForJob(this.config, code.buildSettings, checkpointing.enabled),
        exchange: this.config['execution.exchange'],
        checkpointStorage: this.blobStore,
        checkpointing,
        checkpointIdCounter: this.checkpointIds,
        logger: this.logger,
      },
    );
    this.jobs.set(jobId, job);
    job.start(restore);
    return job;
  }

  async usableTaskManagers(): Promise<TaskManagerView[]> {
    return this.registry.listTaskManagers();
  }

  taskExecutor(taskManagerId: string): InProcessTaskManager | undefined {
    return this.taskManagers.get(taskManagerId);
  }

  /** Every task whose thread has not exited, on any TaskManager. */
  runningTasks(): TaskKey[] {
    return [...this.taskManagers.values()].flatMap((tm) => tm.runningTasks());
  }

  /** Cancels every job, waits for them to end, then stops the TaskManagers. */
  async close(): Promise<void> {
    for (const job of this.jobs.values()) job.cancel();
    await Promise.allSettled([...this.jobs.values()].map((j) => j.whenTerminal()));
    clearInterval(this.heartbeat);
    await Promise.all([...this.taskManagers.values()].map((tm) => tm.close()));
    await this.registry.close();
    if (this.ownsBlobStore) await this.blobStore.close();
  }

  private modulePath(artifact: string): string {
    const path = this.modules.get(artifact);
    if (path === undefined) throw new Error(`no job module was submitted as artifact ${artifact}`);
    return path;
  }
}

/**
 * Runs a job in this process on a MiniCluster sized for it: one TaskManager with a slot per
 * slot the job needs, so every subtask gets its own thread. The embedded target of
 * `sluice run`, and the reference the cluster's results are checked against. A failing task
 * restarts the job by the config's restart strategy, as on a cluster; when no restart is left
 * the promise rejects naming the task and operator.
 */
export async function runJobEmbedded(
  jobGraph: JobGraph,
  code: JobCode,
  options: EmbeddedRunOptions = {},
): Promise<JobResult> {
  const started = Date.now();
  const output = new AttemptOutput(jobGraph, options);
  const cluster = new MiniCluster({
    ...(options.config ? { config: options.config } : {}),
    slotsPerTaskManager: slotRequests(jobGraph).length,
    resources: resourcesFor(jobGraph, options.config ?? defaultConfig()),
    ...(options.network ? { network: options.network } : {}),
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    ...(options.state ? { state: options.state } : {}),
    listener: output,
  });
  await cluster.start();
  try {
    const restore = options.savepoint
      ? await savepointRestorePoint(
          cluster.blobStore,
          options.savepoint.path,
          jobGraph,
          options.savepoint.allowNonRestoredState ?? false,
          cluster.logger,
        )
      : undefined;
    const job = cluster.submitJob(jobGraph, code, restore);
    const onAbort = (): void => job.cancel();
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    await job.whenTerminal().finally(() => options.signal?.removeEventListener('abort', onAbort));
    if (job.status === 'CANCELED') throw new JobCanceledError(`job '${jobGraph.jobName}' was canceled`);
    if (job.status !== 'FINISHED') {
      const failure: SerializedError = job.failure ?? { name: 'Error', message: `ended ${job.status}` };
      throw new JobFailedError(`job '${jobGraph.jobName}' failed: ${failure.message}`, {
        cause: deserializeError(failure),
        ...(failure.jobStack ? { jobStack: failure.jobStack } : {}),
      });
    }
    return {
      jobId: job.jobId,
      jobName: jobGraph.jobName,
      durationMs: Date.now() - started,
      results: output.results,
      recordsIn: [...output.metrics.values()].reduce((n, m) => n + m.recordsIn, 0),
      tasks: Object.fromEntries(output.metrics),
      restarts: job.restarts,
      failures: job.exceptionHistory().exceptionHistory.entries,
      checkpoints: job.checkpointStats().counts,
    };
  } finally {
    await cluster.close();
  }
}

/**
 * What the tasks of the current attempt printed, collected and counted. Reports of an older
 * attempt (still draining while the next one starts) are dropped; the first report of a newer
 * one starts over.
 */
class AttemptOutput implements Partial<TaskEvents> {
  attempt = 0;
  results: unknown[] = [];
  metrics = new Map<string, TaskMetrics>();
  private readonly names: Map<string, string>;

  constructor(
    jobGraph: JobGraph,
    private readonly options: EmbeddedRunOptions,
  ) {
    this.names = new Map(
      jobGraph.vertices.flatMap((v) =>
        Array.from({ length: v.parallelism }, (_, i) => [
          `${v.id}/${i}`,
          taskName({ vertexName: v.name, subtaskIndex: i, parallelism: v.parallelism }),
        ]),
      ),
    );
  }

  onStateChange(task: TaskKey): void {
    this.current(task);
  }

  onOutput(task: TaskKey, lines: string[]): void {
    if (this.current(task)) this.options.onOutput?.(lines, task.attempt);
  }

  onResults(task: TaskKey, values: unknown[]): void {
    if (this.current(task)) for (const v of values) this.results.push(v);
  }

  onMetrics(task: TaskKey, metrics: TaskMetrics): void {
    const name = this.names.get(`${task.vertexId}/${task.subtaskIndex}`) ?? task.vertexId;
    if (this.current(task)) this.metrics.set(name, metrics);
  }

  private current(task: TaskKey): boolean {
    if (task.attempt < this.attempt) return false;
    if (task.attempt > this.attempt) {
      this.attempt = task.attempt;
      this.results = [];
      this.metrics.clear();
      this.options.onOutputRestart?.(task.attempt);
    }
    return true;
  }
}

/**
 * Enough resources for every slot the job asks for on one TaskManager: embedded runs never
 * refused a job for its slot profiles, and the threads share this process anyway.
 */
function resourcesFor(jobGraph: JobGraph, config: ResolvedConfig): ResourceProfile {
  return slotRequests(jobGraph).reduce(
    (sum, r) => (r.profile ? addProfiles(sum, r.profile) : sum),
    taskManagerResources(config),
  );
}
