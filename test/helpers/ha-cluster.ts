import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { JobArgs } from '../../runtime/api/job';
import type { JobSettings } from '../../runtime/api/job-settings';
import { RestClient } from '../../runtime/client/rest-client';
import { submitJob } from '../../runtime/client/submit-job';
import type { ConfigKey } from '../../runtime/config';
import { envNameForKey } from '../../runtime/config';
import { RedisKeys } from '../../runtime/coordination/redis/redis-keys';
import type { LeaderInfo } from '../../runtime/coordination/leader-election';
import { leaderInfoFromHash } from '../../runtime/coordination/redis/redis-leader-retriever';
import type { JobDetails } from '../../runtime/jobmanager/gateway';
import { JobResultStore } from '../../runtime/jobmanager/job-result-store';
import { S3BlobStore } from '../../runtime/storage/s3/s3-blob-store';
import { waitFor } from '../../runtime/util/wait';
import { REPO_ROOT } from './embedded';
import type { FauxqsServer } from './fauxqs';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION, startFauxqs } from './fauxqs';
import { freePort } from './free-port';
import type { RedisServer } from './redis-server';
import { startRedis } from './redis-server';

/** A `sluice jobmanager` or `sluice taskmanager` child process. */
/**
 * The lease the HA tests run with: short enough for a quick failover, long enough that a
 * loaded machine (Redis replying slower than a retry period) does not make a leader step down
 * by itself.
 */
export const TEST_LEASE_MS = 4_000;
export const TEST_LEASE_CONFIG = {
  'high-availability.redis.leader-election.lease-duration': TEST_LEASE_MS,
  'high-availability.redis.leader-election.renew-deadline': 3_000,
  'high-availability.redis.leader-election.retry-period': 500,
} as const;

export interface ClusterProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** REST base URL (job managers only). */
  readonly restUrl: string;
  /** Everything the process wrote to stderr (its log), for assertions and failure reports. */
  readonly log: string[];
  /** Sends `signal` (SIGKILL by default, as a crash) and waits for the exit unless it is a pause. */
  signal(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: Promise<void>;
}

/**
 * A high-availability cluster where every Sluice process is a real child process (so a job
 * manager can be killed with SIGKILL or paused with SIGSTOP): redis-server, the S3 emulator,
 * job managers campaigning for leadership in Redis, TaskManagers following the leader.
 */
export class HaCluster {
  readonly processes: ClusterProcess[] = [];
  readonly blobStore: S3BlobStore;
  /** Final results of ended jobs, read from S3 (the system of record) as a new leader does. */
  readonly jobResults: JobResultStore;
  readonly keys: RedisKeys;
  readonly redisClient: Redis;
  private readonly env: Record<string, string>;

  private constructor(
    public redis: RedisServer,
    readonly fauxqs: FauxqsServer,
    readonly token: string,
    bucket: string,
    keyPrefix: string,
    overrides: Partial<Record<ConfigKey, unknown>>,
  ) {
    this.keys = new RedisKeys(keyPrefix);
    this.redisClient = new Redis(redis.url);
    this.blobStore = new S3BlobStore({
      bucket,
      endpoint: fauxqs.endpoint,
      region: FAUXQS_REGION,
      forcePathStyle: true,
      credentials: FAUXQS_CREDENTIALS,
    });
    this.jobResults = new JobResultStore(this.blobStore);
    const config: Partial<Record<ConfigKey, unknown>> = {
      'rest.token': token,
      'high-availability.type': 'redis',
      'high-availability.redis.url': redis.url,
      'high-availability.redis.key-prefix': keyPrefix,
      'storage.type': 's3',
      's3.bucket': bucket,
      's3.endpoint': fauxqs.endpoint,
      's3.region': FAUXQS_REGION,
      's3.path-style-access': true,
      's3.access-key': FAUXQS_CREDENTIALS.accessKeyId,
      's3.secret-key': FAUXQS_CREDENTIALS.secretAccessKey,
      'sqs.endpoint': fauxqs.endpoint,
      'sqs.region': FAUXQS_REGION,
      'sqs.queue-prefix': `t${randomBytes(4).toString('hex')}`,
      'heartbeat.interval': 300,
      'heartbeat.timeout': 3000,
      'restart-strategy.fixed-delay.delay': 200,
      'taskmanager.registration.timeout': 30_000,
      ...overrides,
    };
    this.env = Object.fromEntries(
      Object.entries(config).map(([key, value]) => [envNameForKey(key), String(value)]),
    );
  }

  /**
   * Starts Redis and the emulator. `s3EndpointFor` may put something (the chaos suite's fault
   * proxy) between the Sluice processes and the emulator: it gets the emulator's endpoint and
   * returns the one the processes use; the cluster's own `blobStore` talks to the emulator.
   */
  static async start(
    overrides: Partial<Record<ConfigKey, unknown>> = {},
    options: { s3EndpointFor?: (emulatorEndpoint: string) => Promise<string> } = {},
  ): Promise<HaCluster> {
    const [redis, fauxqs] = await Promise.all([startRedis(), startFauxqs()]);
    const bucket = `sluice-${randomBytes(4).toString('hex')}`;
    const token = randomBytes(16).toString('hex');
    const s3Endpoint = await options.s3EndpointFor?.(fauxqs.endpoint);
    const cluster = new HaCluster(redis, fauxqs, token, bucket, `t${randomBytes(4).toString('hex')}`, {
      ...(s3Endpoint ? { 's3.endpoint': s3Endpoint } : {}),
      ...overrides,
    });
    await cluster.blobStore.ensureBucket();
    return cluster;
  }

  /** Starts a job manager process; resolves once its REST API answers. */
  async startJobManager(name: string): Promise<ClusterProcess> {
    const restPort = await freePort();
    const env = {
      [envNameForKey('rest.port')]: String(restPort),
      [envNameForKey('jobmanager.rpc.port')]: String(await freePort()),
    };
    const jm = this.spawn(name, 'jobmanager', env, `http://127.0.0.1:${restPort}`);
    await waitFor(async () => (await this.health(jm)) !== undefined, {
      timeoutMs: 30_000,
      what: `job manager ${name} to serve REST`,
    });
    return jm;
  }

  /** Starts a TaskManager process with `slots` slots. */
  startTaskManager(slots: number): ClusterProcess {
    const id = `tm-${this.processes.length}-${randomBytes(3).toString('hex')}`;
    return this.spawn(id, 'taskmanager', {
      [envNameForKey('taskmanager.numberOfTaskSlots')]: String(slots),
      [envNameForKey('taskmanager.id')]: id,
    });
  }

  /** `GET /healthz` of a job manager, or undefined when it does not answer. */
  async health(jm: ClusterProcess): Promise<{ leadership?: string; status: string } | undefined> {
    try {
      const response = await fetch(`${jm.restUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
      return (await response.json()) as { leadership?: string; status: string };
    } catch {
      return undefined;
    }
  }

  /**
   * Kills redis-server and starts an empty one on the same port (persistence is off, so every
   * lease, registration and counter is lost); clients reconnect to it by themselves.
   */
  async restartRedisEmpty(): Promise<void> {
    const port = this.redis.port;
    process.kill(this.redis.pid, 'SIGKILL');
    await this.redis.stop();
    this.redis = await startRedis({ port });
  }

  /** The leader published in Redis, if any. */
  async leader(): Promise<LeaderInfo | undefined> {
    return leaderInfoFromHash(await this.redisClient.hgetall(this.keys.leaderInfo()));
  }

  /** The job manager process that currently leads (by its published REST URL). */
  async waitForLeader(timeoutMs = 30_000, notToken = 0): Promise<{ jm: ClusterProcess; info: LeaderInfo }> {
    return waitFor(
      async () => {
        const info = await this.leader();
        const jm =
          info && info.fencingToken > notToken && this.processes.find((p) => p.restUrl === info.restUrl);
        return jm ? { jm, info } : undefined;
      },
      { timeoutMs, intervalMs: 50, what: 'a job manager leader' },
    );
  }

  /**
   * Starts a job manager, waits until it leads, then starts a second one as its standby and
   * `taskManagers` TaskManagers of `slots` slots each, and waits until all are registered at
   * the leader.
   */
  async startLeaderAndStandby(
    taskManagers: number,
    slots: number,
    registrationTimeoutMs = 30_000,
  ): Promise<{ leader: ClusterProcess; info: LeaderInfo; standby: ClusterProcess; tms: ClusterProcess[] }> {
    // The TaskManagers start alongside the first job manager (they wait for a leader to be
    // published), which takes seconds off a start on a loaded machine.
    const starting = this.startJobManager('jm-a');
    const tms = Array.from({ length: taskManagers }, () => this.startTaskManager(slots));
    const leader = await starting;
    const { jm, info } = await this.waitForLeader();
    if (jm !== leader) throw new Error(`the first job manager should lead, ${jm.name} does`);
    const standby = await this.startJobManager('jm-b');
    await this.waitForTaskManagers(leader, taskManagers, registrationTimeoutMs);
    return { leader, info, standby, tms };
  }

  /** Waits until `count` TaskManagers are connected to the job manager `jm`. */
  async waitForTaskManagers(jm: ClusterProcess, count: number, timeoutMs = 30_000): Promise<void> {
    const client = this.client(jm);
    await waitFor(async () => (await client.listTaskManagers()).filter((t) => t.connected).length === count, {
      timeoutMs,
      what: `${count} TaskManagers to register at ${jm.name}`,
    }).catch((err: unknown) => {
      throw this.withLogs(err);
    });
  }

  /** Waits on `jm` until the job has ended (finished, failed or canceled) and returns it. */
  async waitForJobEnd(jm: ClusterProcess, jobId: string, timeoutMs = 240_000): Promise<JobDetails> {
    const client = this.client(jm);
    return waitFor(
      async () => {
        const job = await client.getJob(jobId).catch(() => undefined);
        return job && ['FINISHED', 'FAILED', 'CANCELED'].includes(job.status) ? job : undefined;
      },
      { timeoutMs, intervalMs: 200, what: `job ${jobId} to end on ${jm.name}` },
    ).catch((err: unknown) => {
      throw this.withLogs(err);
    });
  }

  /** `err` with the last log lines of `processes` (all by default) appended, to explain a failed wait. */
  withLogs(err: unknown, processes: readonly ClusterProcess[] = this.processes, lines = 30): Error {
    const logs = processes.map((p) => `${p.name}:\n${p.log.slice(-lines).join('\n')}`).join('\n');
    return new Error(`${(err as Error).message}\n${logs}`);
  }

  client(jm: ClusterProcess): RestClient {
    return new RestClient({ url: jm.restUrl, token: this.token });
  }

  async submit(
    jm: ClusterProcess,
    modulePath: string,
    args: JobArgs = {},
    settings: Partial<JobSettings> = {},
  ): Promise<string> {
    return (await submitJob(this.client(jm), modulePath, args, settings)).jobId;
  }

  async stop(): Promise<void> {
    for (const p of this.processes) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGCONT');
        p.child.kill('SIGKILL');
      }
    }
    await Promise.all(this.processes.map((p) => p.exited));
    this.redisClient.disconnect();
    await this.blobStore.close();
    await Promise.all([this.redis.stop(), this.fauxqs.stop()]);
  }

  private spawn(
    name: string,
    command: 'jobmanager' | 'taskmanager',
    extraEnv: Record<string, string>,
    restUrl = '',
  ): ClusterProcess {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'sluice.js'), command], {
      env: { ...process.env, SLUICE_LOG_LEVEL: 'info', ...this.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log: string[] = [];
    const collect = (chunk: Buffer): void =>
      void log.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const process_: ClusterProcess = {
      name,
      child,
      restUrl,
      log,
      exited,
      async signal(signal = 'SIGKILL') {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill(signal);
        if (signal === 'SIGKILL' || signal === 'SIGTERM') await exited;
      },
    };
    this.processes.push(process_);
    return process_;
  }
}
