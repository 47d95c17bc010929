import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { advertisedHost } from '../util/advertised-host';
import { join } from 'node:path';
import type { ResolvedConfig } from '../config';
import type { TaskManagerRecord } from '../coordination/slot-registry';
import { ConfigError, SluiceError } from '../errors';
import { serializeError } from '../error-wire';
import { CONTROL } from '../rpc/control-protocol';
import type {
  CancelJobRequest,
  CheckpointNoticeRequest,
  DeployTaskRequest,
  LogTailReply,
  TaskRef,
  TriggerCheckpointRequest,
} from '../rpc/control-protocol';
import { ClusterChannelProvider } from '../network/cluster-channel-provider';
import { TcpExchange } from '../network/tcp/tcp-exchange';
import { TcpExchangeTransport } from '../network/tcp/tcp-exchange-transport';
import { connectRpc } from '../rpc/rpc-auth';
import type { ControlConnection, ControlProtocol, RegisterReply } from '../rpc/control-protocol';
import type { RuntimeServices } from '../services/runtime-services';
import { createRuntimeServices } from '../services/runtime-services';
import { ExchangeTransports } from '../services/exchange-transports';
import type { StateSettings } from '../state/state-backend-factory';
import { stateSettingsFrom } from '../state/state-backend-factory';
import type { Logger } from '../util/logger';
import type { LogTail } from '../util/log-tail';
import { captureProcessLog } from '../util/log-tail';
import { createLogger } from '../util/logger';
import { ArtifactCache } from './artifact-cache';
import { CheckpointTransfer } from './checkpoint-transfer';
import { RegistryLease } from './registry-lease';
import { ReportOutbox, filteredReportChannel } from './report-outbox';
import type { ReportChannel } from './report-outbox';
import { taskManagerResources } from '../deployment/resource-profile';
import type { TaskCancellation, TaskKey } from './task-executor';
import { TaskBlobAccess, taskBlobScope } from './task-blob-access';
import { TaskExecutor } from './task-executor';
import type { JobManagerTarget } from './job-manager-locator';
import { JobManagerLocator } from './job-manager-locator';

/**
 * The worker process (Flink's TaskExecutor): offers slots, registers in the slot registry,
 * keeps a control connection to the job manager (reconnecting if it drops), runs deployed
 * tasks in threads and relays their reports; owns the data exchange server.
 */
export class TaskManagerService {
  readonly id: string;
  private readonly logger: Logger;
  private readonly executor: TaskExecutor;
  private readonly channels = new ClusterChannelProvider();
  private readonly taskOfChannel = new Map<string, TaskKey>();
  private record!: TaskManagerRecord;
  private connection: ControlConnection | undefined;
  private fencingToken = 0;
  /** Fencing token each job attempt was deployed under (`jobId/attempt`). */
  private readonly deployedUnder = new Map<string, number>();
  private closed = false;
  private lease: RegistryLease | undefined;
  private transports!: ExchangeTransports;
  private artifacts: ArtifactCache;
  /** Task reports to the job manager, in order; job output acknowledged and windowed. */
  private readonly outbox: ReportOutbox;
  private readonly stateSettings: StateSettings;
  /** Answers tasks' blob requests (`s3://` paths of connectors) with this process's store. */
  private readonly blobAccess: TaskBlobAccess;
  /** Uploads acknowledged snapshots and downloads the state tasks restore. */
  private readonly checkpoints: CheckpointTransfer;
  /** This process's recent log lines, served to the job manager (and the dashboard). */
  private readonly logTail: LogTail = captureProcessLog();
  /** Called when the TaskManager gave up and shut itself down (the process should exit). */
  onFatal: ((error: Error) => void) | undefined;
  /** The configured job manager, or the leader published in Redis (high availability). */
  private readonly locator: JobManagerLocator;

  private constructor(
    private readonly config: ResolvedConfig,
    private readonly services: RuntimeServices,
    private readonly secret: string,
  ) {
    const jobId = config['taskmanager.job-id'];
    const suffix = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    // Per-job TaskManagers carry their job in the id: the job manager gives them to that job only.
    this.id = config['taskmanager.id'] ?? (jobId ? `job-${jobId}-${suffix}` : `tm-${suffix}`);
    this.logger = createLogger('taskmanager', { taskManagerId: this.id });
    this.stateSettings = stateSettingsFrom(config);
    this.artifacts = new ArtifactCache(services.blobStore, join(tmpdir(), 'sluice-artifacts'));
    this.outbox = new ReportOutbox({ logger: this.logger });
    this.blobAccess = new TaskBlobAccess(services.blobStore, taskBlobScope(config), this.logger);
    this.checkpoints = new CheckpointTransfer(services.blobStore);
    this.locator = new JobManagerLocator(config, this.logger);
    const outputOf =
      (method: string, field: 'lines' | 'results') =>
      (task: TaskKey, items: unknown[], bytes: number): Promise<void> =>
        new Promise((done) => this.outbox.output(method, task, field, items, bytes, done));
    this.executor = new TaskExecutor(
      this.channels,
      {
        onStateChange: (task, state, error) =>
          this.outbox.notify(CONTROL.taskState, { ...task, state, ...(error ? { error } : {}) }),
        onOutput: outputOf(CONTROL.taskOutput, 'lines'),
        onResults: outputOf(CONTROL.taskResults, 'results'),
        onMetrics: (task, metrics) => this.connection?.notify(CONTROL.taskMetrics, { ...task, metrics }),
        onBlobRequest: (task, request) => this.blobAccess.handle(task, request),
        // In order with the task's state reports: a final checkpoint's acknowledgement precedes FINISHED.
        ...this.checkpoints.taskEvents({
          acknowledge: (m) => this.outbox.notify(CONTROL.acknowledgeCheckpoint, m),
          decline: (m) => this.outbox.notify(CONTROL.declineCheckpoint, m),
          endOfInput: (task) => this.outbox.notify(CONTROL.taskEndOfInput, task),
          log: this.logger,
        }),
      },
      this.taskCancellation(),
      this.logger,
    );
  }

  /**
   * Flink's cancellation watchdog: a thread that survives even `terminate()` (a native call
   * that never returns) can only be stopped with the process, so the TaskManager exits; its
   * slots come back when it restarts, and its CPU when it is gone.
   */
  private taskCancellation(): TaskCancellation {
    const timeoutMs = this.config['task.cancellation.timeout'];
    return {
      graceMs: this.config['task.cancellation.interval'],
      timeoutMs: timeoutMs === 0 ? 2 ** 31 - 1 : timeoutMs,
      onStuck: (_task, name) => {
        if (timeoutMs === 0) return;
        this.logger.fatal(
          { task: name, timeoutMs },
          'a canceled task thread cannot be stopped: TaskManager exits',
        );
        this.onFatal?.(
          new SluiceError(
            'SLUICE_TIMEOUT',
            `task ${name} still runs ${timeoutMs} ms after it was terminated (task.cancellation.timeout)`,
          ),
        );
      },
    };
  }

  static async start(config: ResolvedConfig): Promise<TaskManagerService> {
    const secret = config['rest.token'];
    if (!secret)
      throw new ConfigError(
        'rest.token must be set: it is the cluster secret TaskManagers authenticate with',
      );
    const service = new TaskManagerService(config, createRuntimeServices(config, 'taskmanager'), secret);
    await service.startExchange();
    await service.registerInRegistry();
    void service.connectLoop();
    return service;
  }

  get dataPort(): number {
    return this.record.dataPort;
  }

  /** True while the control connection to the job manager is up and registered. */
  get connected(): boolean {
    return this.connection !== undefined && !this.connection.isClosed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.executor.close();
    this.connection?.close();
    await this.lease?.close();
    await this.transports.close();
    await this.locator.close();
    await this.services.close();
    this.logger.info('TaskManager stopped');
  }

  private async startExchange(): Promise<void> {
    const exchange = new TcpExchange({
      taskManagerId: this.id,
      host: advertisedHost(this.config['taskmanager.host']),
      port: this.config['taskmanager.data.port'],
      secret: this.secret,
      logger: this.logger,
    });
    const { host, port } = await exchange.start();
    this.transports = new ExchangeTransports(
      this.config,
      this.id,
      new TcpExchangeTransport(exchange),
      (ids, error) => this.failTasksOf(ids, error),
      this.logger,
    );
    this.record = {
      id: this.id,
      dataHost: host,
      dataPort: port,
      numberOfSlots: this.config['taskmanager.numberOfTaskSlots'],
      totalResources: taskManagerResources(this.config),
      registeredAt: Date.now(),
    };
  }

  /** With Redis coordination the TaskManager keeps its own record and lease in the registry. */
  private async registerInRegistry(): Promise<void> {
    const registry = this.services.slotRegistry;
    if (!registry) return;
    this.lease = new RegistryLease(registry, this.record, this.config['heartbeat.timeout'], this.logger);
    await this.lease.start(this.config['heartbeat.interval']);
  }

  /** Connects to the job manager, registers, and reconnects with backoff whenever the connection drops. */
  private async connectLoop(): Promise<void> {
    let backoff = 200;
    let disconnectedSince = Date.now();
    const timeoutMs = this.config['taskmanager.registration.timeout'];
    while (!this.closed) {
      if (Date.now() - disconnectedSince > timeoutMs) {
        this.logger.error(
          { timeoutMs },
          'no job manager reachable within taskmanager.registration.timeout: shutting down',
        );
        await this.close();
        this.onFatal?.(new SluiceError('SLUICE_TIMEOUT', `no job manager reachable for ${timeoutMs} ms`));
        return;
      }
      try {
        const target = await this.locator.locate();
        if (target === undefined) {
          this.logger.warn('no job manager leader is published yet');
          await this.locator.pause(backoff);
          continue;
        }
        const { connection, reply } = await this.dialAndRegister(target);
        this.fencingToken = Math.max(this.fencingToken, reply.fencingToken);
        this.connection = connection;
        this.outbox.setChannel(this.fencedReports(connection, reply.fencingToken));
        backoff = 200;
        this.logger.info(
          { jobmanager: `${target.host}:${target.port}`, fencingToken: reply.fencingToken },
          'registered at the job manager',
        );
        const unwatch = this.locator.watch(target, (reason) => {
          this.logger.warn({ reason }, 'leaving the old job manager leader');
          connection.close();
        });
        await new Promise<void>((resolve) => connection.once('close', resolve));
        unwatch();
        this.connection = undefined;
        this.outbox.setChannel(undefined);
        disconnectedSince = Date.now();
        // Not awaited: a task that takes long to stop must not delay the reconnect.
        if (!this.closed) void this.onJobManagerLost();
      } catch (err) {
        if (err instanceof SluiceError && !err.retryable)
          this.logger.error({ err }, 'cannot connect to the job manager');
        else this.logger.warn({ err: (err as Error).message }, 'job manager not reachable yet');
      }
      if (!this.closed) await this.locator.pause(backoff);
      backoff = Math.min(this.locator.maxRetryDelayMs, backoff * 2);
    }
  }

  /** Dials the job manager at `target` and registers; a connection that cannot register is closed. */
  private async dialAndRegister(
    target: JobManagerTarget,
  ): Promise<{ connection: ControlConnection; reply: RegisterReply }> {
    const connection = await connectRpc<ControlProtocol>({
      host: target.host,
      port: target.port,
      secret: this.secret,
      id: this.id,
      logger: this.logger,
    });
    this.serve(connection);
    try {
      // A job manager that does not answer within a heartbeat timeout is as good as gone.
      const reply = await connection.call(
        CONTROL.register,
        { record: this.record },
        this.config['heartbeat.timeout'],
      );
      return { connection, reply };
    } catch (err) {
      connection.close();
      throw err;
    }
  }

  private serve(connection: ControlConnection): void {
    const heartbeat = setInterval(
      () => connection.notify(CONTROL.heartbeat, {}),
      this.config['heartbeat.interval'],
    );
    connection.once('close', () => clearInterval(heartbeat));
    connection.handle(CONTROL.deployTask, (body) => this.deploy(body));
    connection.handle(CONTROL.cancelJob, (body) => this.cancelJob(body));
    connection.handle(CONTROL.triggerCheckpoint, (body) => this.triggerCheckpoint(body));
    connection.handle(CONTROL.notifyCheckpointComplete, (body) => this.notifyCheckpoint(body, 'complete'));
    connection.handle(CONTROL.abortCheckpoint, (body) => this.notifyCheckpoint(body, 'aborted'));
    connection.handle(CONTROL.logTail, (body): LogTailReply =>
      this.logTail.tail(Math.max(0, Math.floor(body.lines))),
    );
  }

  /**
   * Reports of tasks a former leader deployed are not sent to a newer one: a recovered job may
   * reuse their attempt number, and their late CANCELED or acknowledgements would be taken for
   * its own.
   */
  private fencedReports(connection: ControlConnection, leaderToken: number): ReportChannel {
    const current = (body: unknown): boolean => {
      const ref = body as { jobId?: string; attempt?: number };
      const deployed = this.deployedUnder.get(`${ref.jobId}/${ref.attempt}`);
      return deployed === undefined || deployed >= leaderToken;
    };
    const channel: ReportChannel = {
      call: connection.call.bind(connection) as ReportChannel['call'],
      notify: connection.notify.bind(connection) as ReportChannel['notify'],
    };
    return filteredReportChannel(channel, current);
  }

  private checkFencing(token: number): void {
    if (token < this.fencingToken) {
      throw new SluiceError(
        'SLUICE_CONFLICT',
        `stale job manager: fencing token ${token} is older than ${this.fencingToken}`,
      );
    }
    this.fencingToken = token;
  }

  private async deploy(request: DeployTaskRequest): Promise<void> {
    this.checkFencing(request.fencingToken);
    const modulePath = await this.artifacts.path(request.artifact);
    const tdd = { ...request.tdd, code: { ...request.tdd.code, modulePath } };
    // A corrupt or missing object fails the deployment with SLUICE_CHECKPOINT_CORRUPT naming
    // it: the job master then restores from an older checkpoint.
    const restore = tdd.restore ? await this.checkpoints.download(tdd.restore) : undefined;
    this.checkFencing(request.fencingToken);
    this.deployedUnder.set(`${tdd.jobId}/${tdd.attempt}`, request.fencingToken);
    this.checkpoints.register(tdd);
    const transport = this.transports.get(request.exchange);
    const ports = this.channels.portsFor(tdd, request.remotePeers, transport);
    const key = this.executor.deploy(tdd, {
      ports,
      taskManagerId: this.id,
      state: this.stateSettings,
      ...(this.blobAccess.scope ? { s3Scope: this.blobAccess.scope } : {}),
      ...(restore ? { restore } : {}),
      ...(request.heapMb ? { resourceLimits: { maxOldGenerationSizeMb: request.heapMb } } : {}),
    });
    for (const id of Object.keys(request.remotePeers)) this.taskOfChannel.set(id, key);
  }

  private async cancelJob(request: CancelJobRequest): Promise<void> {
    this.checkFencing(request.fencingToken);
    await this.executor.cancelJob(request.jobId, request.attempt);
    this.checkpoints.forget(request.jobId, request.attempt);
    for (const [id, key] of this.taskOfChannel)
      if (key.jobId === request.jobId) this.taskOfChannel.delete(id);
  }

  private triggerCheckpoint(request: TriggerCheckpointRequest): void {
    this.checkFencing(request.fencingToken);
    const { jobId, attempt, checkpointId, timestamp, stop } = request;
    for (const task of request.tasks) {
      if (!this.executor.triggerCheckpoint({ jobId, attempt, ...task }, checkpointId, timestamp, stop))
        this.logger.debug(
          { jobId, attempt, checkpointId, task },
          'checkpoint trigger for a task not running here',
        );
    }
  }

  private notifyCheckpoint(request: CheckpointNoticeRequest, outcome: 'complete' | 'aborted'): void {
    this.checkFencing(request.fencingToken);
    this.executor.notifyCheckpoint(request.jobId, request.attempt, request.checkpointId, outcome);
  }

  private failTasksOf(channelIds: string[], error: SluiceError): void {
    const tasks = new Map<string, TaskKey>();
    for (const id of channelIds) {
      const key = this.taskOfChannel.get(id);
      if (key) tasks.set(`${key.jobId}/${key.attempt}/${key.vertexId}/${key.subtaskIndex}`, key);
    }
    const serialized = serializeError(error);
    for (const key of tasks.values()) void this.executor.failTask(key, serialized);
  }

  /** Without a job manager nobody can follow the tasks: stop them (the job manager restarts jobs). */
  private async onJobManagerLost(): Promise<void> {
    this.logger.warn('lost the job manager: canceling all tasks');
    const jobs = new Set(this.executor.runningTasks().map((t: TaskRef) => t.jobId));
    await Promise.all([...jobs].map((j) => this.executor.cancelJob(j)));
  }
}
