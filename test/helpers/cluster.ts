import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { bundleJob } from '../../runtime/client/bundle-job';
import type { JobArgs } from '../../runtime/api/job';
import type { JobSettings } from '../../runtime/api/job-settings';
import { prepareJob } from '../../runtime/client/prepare-job';
import type { ConfigKey, ResolvedConfig } from '../../runtime/config';
import { envNameForKey, loadConfig } from '../../runtime/config';
import type { JobDetails, JobStatus } from '../../runtime/jobmanager/gateway';
import { JobManagerService } from '../../runtime/jobmanager/job-manager';
import { clusterEnvironment } from '../../runtime/jobmanager/resources/per-job-taskmanager';
import { S3BlobStore } from '../../runtime/storage/s3/s3-blob-store';
import { waitFor } from '../../runtime/util/wait';
import { REPO_ROOT } from './embedded';
import type { FauxqsServer } from './fauxqs';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION, startFauxqs } from './fauxqs';
import type { RedisServer } from './redis-server';
import { startRedis } from './redis-server';

/** A TaskManager running as its own process. */
export interface TaskManagerProcess {
  readonly id: string;
  readonly child: ChildProcess;
  /** Ends the process; SIGKILL by default, as a crash would. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A real cluster for tests: redis-server and the S3 emulator as processes, the job manager in
 * this process (so tests can look inside), TaskManagers as child processes of `sluice taskmanager`.
 */
export class TestCluster {
  readonly taskManagers: TaskManagerProcess[] = [];

  private constructor(
    readonly jobManager: JobManagerService,
    readonly config: ResolvedConfig,
    private readonly redis: RedisServer,
    readonly fauxqs: FauxqsServer,
  ) {}

  /** A cluster (see `start`) with one TaskManager process per entry of `slots`, that many slots each. */
  static async withTaskManagers(
    slots: readonly number[],
    overrides: Partial<Record<ConfigKey, unknown>> = {},
  ): Promise<TestCluster> {
    const cluster = await TestCluster.start(overrides);
    for (const n of slots) await cluster.startTaskManager(n);
    return cluster;
  }

  static async start(overrides: Partial<Record<ConfigKey, unknown>> = {}): Promise<TestCluster> {
    const [redis, fauxqs] = await Promise.all([startRedis(), startFauxqs()]);
    const bucket = `sluice-${randomBytes(4).toString('hex')}`;
    await new S3BlobStore({
      bucket,
      endpoint: fauxqs.endpoint,
      region: FAUXQS_REGION,
      forcePathStyle: true,
      credentials: FAUXQS_CREDENTIALS,
    }).ensureBucket();
    const config = loadConfig({
      env: {},
      overrides: {
        'rest.token': randomBytes(16).toString('hex'),
        'jobmanager.rpc.port': 0,
        'high-availability.type': 'redis',
        'high-availability.redis.url': redis.url,
        'high-availability.redis.key-prefix': `t${randomBytes(4).toString('hex')}`,
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
        'sqs.wait-time': 1000,
        'heartbeat.interval': 300,
        // Generous: the job manager shares this process's event loop with the test itself, and
        // CI machines are loaded. A killed process is noticed at once by its closed connection.
        'heartbeat.timeout': 8000,
        // Likewise the leader lease: a test that runs the CLI in this process (its type check is
        // synchronous, seconds on a loaded machine) must not make the only job manager step down.
        'high-availability.redis.leader-election.lease-duration': 60_000,
        'high-availability.redis.leader-election.renew-deadline': 50_000,
        'restart-strategy.fixed-delay.delay': 200,
        ...overrides,
      },
    });
    const jobManager = await JobManagerService.start(config);
    return new TestCluster(jobManager, config, redis, fauxqs);
  }

  /** Starts a TaskManager process and waits until the job manager has it. */
  async startTaskManager(slots: number, extraEnv: Record<string, string> = {}): Promise<TaskManagerProcess> {
    const id = `tm-${this.taskManagers.length}-${randomBytes(3).toString('hex')}`;
    // A TaskManager orphaned by a crashed test run gives up after 15 s without a job manager.
    const env: Record<string, string> = {
      SLUICE_LOG_LEVEL: 'warn',
      SLUICE_TASKMANAGER_REGISTRATION_TIMEOUT: '15000',
    };
    Object.assign(env, clusterEnvironment(this.config, this.jobManager.rpcPort));
    env[envNameForKey('taskmanager.numberOfTaskSlots')] = String(slots);
    env[envNameForKey('taskmanager.id')] = id;
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'sluice.js'), 'taskmanager'], {
      env: { ...process.env, ...env, ...extraEnv },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const tm: TaskManagerProcess = {
      id,
      child,
      async kill(signal = 'SIGKILL') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        await exited;
      },
    };
    this.taskManagers.push(tm);
    await waitFor(() => this.jobManager.resourceManager.isConnected(id), {
      // A process start (tsx compiling the CLI) can take long on a loaded machine.
      timeoutMs: 45_000,
      what: `TaskManager ${id} to register`,
    });
    return tm;
  }

  /** Bundles, uploads and submits a job module (from a savepoint when given); returns the job id. */
  async submit(
    modulePath: string,
    args: JobArgs = {},
    settings: Partial<JobSettings> = {},
    savepointPath?: string,
  ): Promise<string> {
    const { jobGraph, code } = prepareJob(modulePath, args, settings);
    const { code: bytes, sha256 } = await bundleJob(modulePath);
    await this.jobManager.dispatcher.putArtifact(sha256, bytes);
    const { jobId } = await this.jobManager.dispatcher.submitJob({
      jobGraph,
      artifact: sha256,
      args: code.args,
      buildSettings: code.buildSettings,
      ...(savepointPath ? { savepointPath } : {}),
    });
    return jobId;
  }

  job(jobId: string): Promise<JobDetails> {
    return this.jobManager.dispatcher.getJob(jobId);
  }

  /** On timeout the error says where the job stood: a slow job and a stuck one differ there. */
  async waitForStatus(jobId: string, statuses: JobStatus[], timeoutMs = 60_000): Promise<JobDetails> {
    let last: JobDetails | undefined;
    try {
      return await waitFor(
        async () => {
          last = await this.job(jobId);
          return statuses.includes(last.status) ? last : undefined;
        },
        { timeoutMs, intervalMs: 50, what: `job ${jobId} to reach ${statuses.join('/')}` },
      );
    } catch (err) {
      if (!last) throw err;
      const checkpoints = await this.jobManager.dispatcher.checkpointStats(jobId).catch(() => undefined);
      throw new Error(
        `${(err as Error).message}; it was ${describeJob(last)}; checkpoints ${JSON.stringify(checkpoints?.counts)}`,
        { cause: err },
      );
    }
  }

  /** Waits until the job and every one of its subtasks are RUNNING. */
  async waitForAllTasksRunning(jobId: string, timeoutMs = 30_000): Promise<JobDetails> {
    return waitFor(
      async () => {
        const job = await this.job(jobId);
        const all = job.vertices.every((v) => v.subtasks.every((s) => s.state === 'RUNNING'));
        return job.status === 'RUNNING' && all ? job : undefined;
      },
      { timeoutMs, what: `every task of job ${jobId} to run` },
    );
  }

  /** A TaskManager process that runs tasks of the job (as placed in `job`). */
  taskManagerRunning(job: JobDetails): TaskManagerProcess {
    // Only RUNNING subtasks count: a FINISHED one may still name a TaskManager that died since.
    const placed = new Set(
      job.vertices.flatMap((v) =>
        v.subtasks.filter((s) => s.state === 'RUNNING').map((s) => s.taskManagerId),
      ),
    );
    const tm = this.taskManagers.find(
      (t) => placed.has(t.id) && t.child.exitCode === null && t.child.signalCode === null,
    );
    if (!tm) throw new Error(`no TaskManager of this cluster runs job ${job.jobId}`);
    return tm;
  }

  /** Waits until the job and every subtask of it run; returns the details (where tasks are placed). */
  async waitForAllRunning(jobId: string, timeoutMs = 60_000): Promise<JobDetails> {
    return waitFor(
      async () => {
        const details = await this.job(jobId);
        const up = details.vertices.flatMap((v) => v.subtasks).every((s) => s.state === 'RUNNING');
        return details.status === 'RUNNING' && up ? details : undefined;
      },
      { timeoutMs, what: `every task of job ${jobId} to run` },
    );
  }

  /** Waits until one more checkpoint of the job completed than had when called. */
  async waitForNextCheckpoint(jobId: string, timeoutMs = 30_000): Promise<void> {
    const completed = async (): Promise<number> =>
      (await this.jobManager.dispatcher.checkpointStats(jobId)).counts.completed;
    const before = await completed();
    await waitFor(async () => (await completed()) > before, { timeoutMs, what: 'a checkpoint to complete' });
  }

  /**
   * `kill -9` of a TaskManager that runs tasks of `job`, then waits for the job's next restart
   * and starts a replacement with `slots` slots (the crashed container comes back).
   */
  async crashTaskManager(job: JobDetails, slots: number, restartTimeoutMs = 20_000): Promise<void> {
    const restartsBefore = (await this.job(job.jobId)).restarts;
    await this.taskManagerRunning(job).kill('SIGKILL');
    await waitFor(async () => (await this.job(job.jobId)).restarts > restartsBefore, {
      timeoutMs: restartTimeoutMs,
      what: `job ${job.jobId} to restart`,
    });
    await this.startTaskManager(slots);
  }

  /** Everything the job's current (or last) attempt printed and collected, read page by page. */
  async output(jobId: string): Promise<{ lines: string[]; results: unknown[] }> {
    const lines: string[] = [];
    const results: unknown[] = [];
    for (let from = { line: 0, result: 0 }; ;) {
      const page = await this.jobManager.dispatcher.jobOutput(jobId, from.line, from.result);
      lines.push(...page.lines);
      results.push(...page.results);
      if (page.lines.length === 0 && page.results.length === 0) return { lines, results };
      from = { line: page.nextLine, result: page.nextResult };
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.taskManagers.map((tm) => tm.kill('SIGTERM')));
    await this.jobManager.close();
    await Promise.all([this.redis.stop(), this.fauxqs.stop()]);
  }
}

/** Status, attempt, restarts, failure and each vertex's subtask states and records, in one line. */
function describeJob(job: JobDetails): string {
  const vertices = job.vertices.map((v) => {
    const states = v.subtasks.map((t) => `${t.state} ${t.recordsIn}/${t.recordsOut}`).join(', ');
    return `${v.name} [${states}]`;
  });
  const failure = job.failure ? `, failure: ${job.failure.message}` : '';
  return `${job.status} (attempt ${job.attempt}, ${job.restarts} restarts${failure}); records in/out per subtask: ${vertices.join('; ')}`;
}
