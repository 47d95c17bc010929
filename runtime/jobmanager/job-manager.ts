import type { ResolvedConfig } from '../config';
import { ConfigError } from '../errors';
import type { RpcServer } from '../rpc/rpc-auth';
import { startRpcServer } from '../rpc/rpc-auth';
import type { ControlProtocol } from '../rpc/control-protocol';
import type { RuntimeServices } from '../services/runtime-services';
import { createRuntimeServices, redisUrlWithPassword } from '../services/runtime-services';
import type { CheckpointIdCounter } from '../checkpoint/checkpoint-id-counter';
import { InMemoryCheckpointIdCounter } from '../checkpoint/checkpoint-id-counter';
import { RedisCheckpointIdCounter } from '../coordination/redis/redis-checkpoint-id-counter';
import { DependencyHealth } from '../services/dependency-health';
import { ExchangeCleanup } from '../services/exchange-transports';
import { taskManagerResources } from '../deployment/resource-profile';
import { networkSettingsFrom } from '../deployment/task-deployment';
import type { Logger } from '../util/logger';
import { createLogger } from '../util/logger';
import { advertisedHost } from '../util/advertised-host';
import { Dispatcher } from './dispatcher';
import { JobResultStore } from './job-result-store';
import { ResourceManager } from './resource-manager';
import { EcsResourceDriver } from './resources/ecs/ecs-resource-driver';
import { LocalProcessResourceDriver } from './resources/local/local-process-resource-driver';
import type { ResourceDriver } from './resources/resource-driver';
import { TaskManagerPool } from './task-manager-pool';
import { JobGraphStore } from './job-graph-store';
import { JobManagerLeadership } from './job-manager-leadership';
import type { FencingTokenFloor, LeaderAddresses, LeaderElection } from '../coordination/leader-election';
import { BlobFencingTokenFloor } from './blob-fencing-token-floor';
import { StandaloneLeaderElection } from '../coordination/embedded/standalone-leader-election';
import { RedisLeaderElection } from '../coordination/redis/redis-leader-election';

/**
 * The job manager process (docs/architecture.md §1): control server for TaskManagers, resource manager,
 * dispatcher with one job master per job. The REST API is served on top of `dispatcher`.
 */
export class JobManagerService {
  /** When this job manager started (epoch ms). */
  readonly startedAt = Date.now();
  private constructor(
    readonly config: ResolvedConfig,
    readonly dispatcher: Dispatcher,
    readonly resourceManager: ResourceManager,
    private readonly rpc: RpcServer,
    private readonly services: RuntimeServices,
    private readonly pool: TaskManagerPool | undefined,
    private readonly cleanup: ExchangeCleanup,
    readonly logger: Logger,
    /** Readiness of Redis and the blob store (`GET /healthz`). */
    readonly health: DependencyHealth,
    private readonly checkpointIds: CheckpointIdCounter,
    /** This job manager's part in the leader election; only the leader runs jobs. */
    readonly leadership: JobManagerLeadership,
  ) {}

  /**
   * Starts the job manager. With `campaign` (the default) it campaigns for leadership at once,
   * publishing the configured REST address; the `sluice jobmanager` process passes false and
   * calls `campaign` once its REST server listens, so it publishes the bound address.
   */
  static async start(
    config: ResolvedConfig,
    options: { campaign?: boolean } = {},
  ): Promise<JobManagerService> {
    const token = config['rest.token'];
    if (!token)
      throw new ConfigError('rest.token must be set: it authenticates REST clients and TaskManagers');
    const logger = createLogger('jobmanager');
    const services = createRuntimeServices(config, 'jobmanager');
    const registry = services.slotRegistry!;
    const resourceManager = new ResourceManager(
      registry,
      services.coordination === 'embedded',
      { intervalMs: config['heartbeat.interval'], timeoutMs: config['heartbeat.timeout'] },
      () => leadership.fencingToken(),
      logger,
    );
    const pool =
      config['execution.target'] === 'per-job'
        ? new TaskManagerPool(
            createResourceDriver(config, logger, () => rpcPort),
            config['taskmanager.numberOfTaskSlots'],
            perSlot(config),
          )
        : undefined;
    const cleanup = new ExchangeCleanup(config, logger);
    const health = new DependencyHealth('jobmanager', services.dependencies);
    const checkpointIds = checkpointIdCounter(config, services.coordination);
    const dispatcher = new Dispatcher(
      config,
      services.blobStore,
      resourceManager,
      {
        registry,
        resourceManager,
        network: networkSettingsFrom(config),
        slotRequestTimeoutMs: config['slot.request.timeout'],
        exchange: config['execution.exchange'],
        onJobEnded: (jobId, exchange) => cleanup.jobEnded(jobId, exchange),
        checkpointIdCounter: checkpointIds,
        fencingToken: () => leadership.fencingToken(),
        assertLeader: () => leadership.assertLeader(),
        jobResults: new JobResultStore(services.blobStore),
        ...(pool ? { pool } : {}),
        logger,
      },
      logger,
      () => health.assertReady(),
      new JobGraphStore(services.blobStore),
    );
    let rpcPort = config['jobmanager.rpc.port'];
    const rpc = await startRpcServer<ControlProtocol>({
      host: config['jobmanager.rpc.bind-address'] ?? advertisedHost(config['jobmanager.rpc.address']),
      port: config['jobmanager.rpc.port'],
      secret: token,
      serverId: 'jobmanager',
      onConnection: (connection) => {
        // A standby has no jobs to report to: the TaskManager looks the leader up again.
        if (leadership.role !== 'leader') {
          logger.warn({ taskManagerId: connection.peerId }, 'control connection refused: not the leader');
          return connection.close();
        }
        resourceManager.attach(connection);
        dispatcher.attach(connection);
      },
      logger,
    });
    rpcPort = rpc.port;
    const leadership: JobManagerLeadership = new JobManagerLeadership(
      (restUrl) =>
        createLeaderElection(
          config,
          { restUrl, controlAddress: controlAddressOf(config, rpc.port) },
          new BlobFencingTokenFloor(services.blobStore),
          logger,
        ),
      {
        onGranted: async (fencingToken) => {
          const recovered = await dispatcher.recoverJobs(fencingToken);
          logger.info({ fencingToken, recovered }, 'leadership taken up');
        },
        onRevoked: (reason) => {
          dispatcher.suspendAll(reason);
          resourceManager.disconnectAll(`this job manager stepped down: ${reason}`);
        },
      },
      logger,
    );
    logger.info({ rpcPort: rpc.port, coordination: services.coordination }, 'job manager started');
    const service = new JobManagerService(
      config,
      dispatcher,
      resourceManager,
      rpc,
      services,
      pool,
      cleanup,
      logger,
      health,
      checkpointIds,
      leadership,
    );
    if (options.campaign ?? true)
      await service.campaign(`http://${config['rest.address']}:${config['rest.port']}`);
    return service;
  }

  /**
   * Campaigns for leadership, publishing `restUrl`; resolves after the first attempt and, when
   * it won, once the unfinished jobs are recovered (so REST opens ready to answer for them).
   */
  async campaign(restUrl: string): Promise<void> {
    await this.leadership.start(restUrl);
    await this.leadership.settled();
  }

  get rpcPort(): number {
    return this.rpc.port;
  }

  async close(): Promise<void> {
    // Steps down first: jobs are suspended, not canceled, so a standby takes them on.
    await this.leadership.close();
    await this.dispatcher.close();
    await this.pool?.close();
    this.resourceManager.close();
    await this.rpc.close();
    await this.cleanup.close();
    await this.checkpointIds.close();
    await this.services.close();
    this.logger.info('job manager stopped');
  }
}

/** The election: through Redis with Redis coordination, else this one job manager always leads. */
function createLeaderElection(
  config: ResolvedConfig,
  addresses: LeaderAddresses,
  tokenFloor: FencingTokenFloor,
  logger: Logger,
): LeaderElection {
  const url = config['high-availability.redis.url'];
  if (config['high-availability.type'] !== 'redis' || url === undefined)
    return new StandaloneLeaderElection(addresses);
  return new RedisLeaderElection({
    url: redisUrlWithPassword(url, config['high-availability.redis.password']),
    keyPrefix: config['high-availability.redis.key-prefix'],
    addresses,
    tokenFloor,
    leaseDurationMs: config['high-availability.redis.leader-election.lease-duration'],
    renewDeadlineMs: config['high-availability.redis.leader-election.renew-deadline'],
    retryPeriodMs: config['high-availability.redis.leader-election.retry-period'],
    log: (level, message) => logger[level]({ component: 'leader-election' }, message),
  });
}

/**
 * `host:port` TaskManagers dial: the advertised control address (`auto`: this machine's own, so
 * each of several job managers publishes the address of its own process) with the bound port.
 */
function controlAddressOf(config: ResolvedConfig, port: number): string {
  return `${advertisedHost(config['jobmanager.rpc.address'])}:${port}`;
}

/** Checkpoint ids: in Redis with Redis coordination (any job manager continues them), else in memory. */
function checkpointIdCounter(
  config: ResolvedConfig,
  coordination: 'redis' | 'embedded',
): CheckpointIdCounter {
  const url = config['high-availability.redis.url'];
  if (coordination !== 'redis' || url === undefined) return new InMemoryCheckpointIdCounter();
  return new RedisCheckpointIdCounter({
    url: redisUrlWithPassword(url, config['high-availability.redis.password']),
    keyPrefix: config['high-availability.redis.key-prefix'],
  });
}

/** The per-job resource driver: local child processes, or ECS tasks in the cloud. */
function createResourceDriver(config: ResolvedConfig, logger: Logger, rpcPort: () => number): ResourceDriver {
  if (config['resourcemanager.driver'] === 'local')
    return new LocalProcessResourceDriver(config, logger, rpcPort);
  const cluster = config['resourcemanager.ecs.cluster'];
  const taskDefinition = config['resourcemanager.ecs.task-definition'];
  if (!cluster || !taskDefinition) {
    throw new ConfigError(
      'resourcemanager.driver=ecs needs resourcemanager.ecs.cluster and resourcemanager.ecs.task-definition',
    );
  }
  const list = (value: string): string[] =>
    value
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  return new EcsResourceDriver({
    cluster,
    taskDefinition,
    containerName: config['resourcemanager.ecs.container-name'],
    subnets: list(config['resourcemanager.ecs.subnets']),
    securityGroups: list(config['resourcemanager.ecs.security-groups']),
    assignPublicIp: config['resourcemanager.ecs.assign-public-ip'],
  });
}

/** Slot profile of per-job TaskManagers: the configured TaskManager resources split per slot. */
function perSlot(config: ResolvedConfig): ReturnType<typeof taskManagerResources> {
  const total = taskManagerResources(config);
  const slots = config['taskmanager.numberOfTaskSlots'];
  return {
    cpuCores: total.cpuCores / slots,
    heapMb: Math.floor(total.heapMb / slots),
    directMb: Math.floor(total.directMb / slots),
    nativeMb: Math.floor(total.nativeMb / slots),
    networkMb: Math.floor(total.networkMb / slots),
    managedMb: Math.floor(total.managedMb / slots),
  };
}
