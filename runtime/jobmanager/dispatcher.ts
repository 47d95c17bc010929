import { createHash, randomUUID } from 'node:crypto';
import { BadRequestError, ConflictError, NotFoundError } from '../errors';
import type { ControlConnection } from '../rpc/control-protocol';
import type { BlobStore } from '../storage/blob-store';
import type { Logger } from '../util/logger';
import { CONTROL } from '../rpc/control-protocol';
import type { LogTailRequest } from '../rpc/control-protocol';
import type { JobExceptions } from './exception-history';
import type {
  ClusterOverview,
  JobDetails,
  JobManagerGateway,
  JobOutputPage,
  JobSubmission,
  JobSummary,
  TaskManagerInfo,
} from './gateway';
import { TERMINAL_JOB_STATUSES } from './gateway';
import type { InsightGateway, JobPlan, TaskManagerLogs } from './insight-gateway';
import { jobPlan } from './job-plan';
import type { JobMasterContext } from './job-master-context';
import { JobMaster } from './job-master';
import type { ResourceManager } from './resource-manager';
import { restartStrategyForJob } from './restart-strategy';
import type { CheckpointGateway } from './checkpoint-gateway';
import { checkpointSettingsFor } from '../checkpoint/checkpoint-settings';
import type { RestorePoint } from '../checkpoint/restore-point';
import type { SavepointDetails, SavepointSummary } from '../checkpoint/savepoint-store';
import {
  disposeSavepoint,
  listSavepoints,
  readSavepoint,
  savepointDetails,
  savepointKeyOf,
  savepointTargetDir,
} from '../checkpoint/savepoint-store';
import { savepointRestorePoint } from '../checkpoint/state-mapping';
import type { SavepointGateway } from './savepoint-gateway';
import type {
  CheckpointDetails,
  JobCheckpointConfig,
  JobCheckpointStats,
} from '../checkpoint/checkpoint-stats';
import type { ResolvedConfig } from '../config';
import { checkpointIdOfMetadataKey, jobCheckpointsPrefix } from '../checkpoint/checkpoint-storage-layout';
import type { JobGraphStore } from './job-graph-store';
import { SLUICE_VERSION } from '../version';
import { missingUidWarning } from '../graph/uid-warnings';
import { EndedJobs } from './ended-jobs';

/** How long `GET /taskmanagers/:id/logs` waits for the TaskManager. */
const LOG_TAIL_TIMEOUT_MS = 5_000;

/** Attempts one leadership may number before they could meet those of the next. */
export const ATTEMPTS_PER_LEADERSHIP = 10_000;

/**
 * The first attempt number of a job a leader with `fencingToken` recovers. TaskManagers and the
 * exchange key tasks and channels by attempt, and the previous leader numbered its attempts
 * from 0 (or from its own token's base): starting at `token × ATTEMPTS_PER_LEADERSHIP` never
 * reuses one, as tokens only grow. (SQS queue names hold 8 digits: tokens up to 9 999.)
 */
export function recoveredFirstAttempt(fencingToken: number): number {
  return fencingToken * ATTEMPTS_PER_LEADERSHIP;
}

/** Blob key of a job bundle. */
export const artifactKey = (sha256: string): string => `artifacts/${sha256}.js`;

/**
 * Accepts jobs and answers for them (Flink's Dispatcher): one job master per job, job bundles
 * in the blob store, task reports routed to their job.
 */
export class Dispatcher implements JobManagerGateway, InsightGateway, CheckpointGateway, SavepointGateway {
  private readonly jobs = new Map<string, JobMaster>();
  /** Job masters suspended by a leadership loss, until their tasks are canceled. */
  private readonly suspending = new Set<Promise<void>>();
  /** Jobs that ended under an earlier leader, from the job result store (§9). */
  private readonly endedJobs: EndedJobs | undefined;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly blobStore: BlobStore,
    private readonly resourceManager: ResourceManager,
    private readonly jobContext: Omit<JobMasterContext, 'restartStrategy' | 'checkpointing'>,
    private readonly logger: Logger,
    /** Throws (`DependencyUnavailableError`) when a service a job needs, such as Redis, is down. */
    private readonly assertReady: () => Promise<void> = async () => undefined,
    /** Submitted jobs in the blob store (§9): written on submission, read by a new leader. */
    private readonly jobGraphs?: JobGraphStore,
  ) {
    const results = jobContext.jobResults;
    this.endedJobs = results && jobGraphs ? new EndedJobs(results, jobGraphs, logger) : undefined;
    resourceManager.onTaskManagerLost((id, reason) => {
      for (const job of this.jobs.values()) job.onTaskManagerLost(id, reason);
    });
  }

  /** Routes task reports arriving on a TaskManager's control connection. */
  attach(connection: ControlConnection): void {
    connection.handle(CONTROL.taskState, (m) => this.jobs.get(m.jobId)?.onTaskState(m));
    connection.handle(CONTROL.taskOutput, (m) => this.jobs.get(m.jobId)?.onTaskOutput(m));
    connection.handle(CONTROL.taskResults, (m) => this.jobs.get(m.jobId)?.onTaskOutput(m));
    connection.handle(CONTROL.taskMetrics, (m) => this.jobs.get(m.jobId)?.onTaskMetrics(m));
    connection.handle(CONTROL.acknowledgeCheckpoint, (m) => this.jobs.get(m.jobId)?.acknowledgeCheckpoint(m));
    connection.handle(CONTROL.declineCheckpoint, (m) => this.jobs.get(m.jobId)?.declineCheckpoint(m));
    connection.handle(CONTROL.taskEndOfInput, (m) => this.jobs.get(m.jobId)?.onTaskEndOfInput(m));
  }

  async submitJob(submission: JobSubmission): Promise<{ jobId: string }> {
    // Refused now, naming the cause, rather than accepted and left restarting until Redis returns.
    await this.assertReady();
    if (!(await this.hasArtifact(submission.artifact))) {
      throw new BadRequestError(
        `artifact ${submission.artifact} is not stored: upload the job bundle first (PUT /artifacts/:sha256)`,
      );
    }
    const jobId = randomUUID().replaceAll('-', '');
    const restore = await this.restorePointOf(submission);
    // Recorded before it runs, so a job accepted here survives the loss of this job manager.
    await this.jobContext.assertLeader?.();
    await this.jobGraphs?.put({ jobId, submittedAt: Date.now(), submission });
    const job = this.startJobMaster(jobId, submission, restore);
    this.logger.info({ jobId, name: job.name, tasks: submission.jobGraph.vertices.length }, 'job submitted');
    const uidWarning = missingUidWarning(submission.jobGraph);
    if (uidWarning) this.logger.warn({ jobId }, uidWarning);
    return { jobId };
  }

  /**
   * A new leader takes on every job recorded in the blob store without a result (§9): each
   * keeps its id and restarts from its latest completed checkpoint (else from the savepoint it
   * was submitted with). Finished jobs have a result and are never run again. A job that cannot
   * be recovered is logged and left for the next leader.
   */
  async recoverJobs(fencingToken: number): Promise<string[]> {
    if (!this.jobGraphs) return [];
    const recovered: string[] = [];
    for (const jobId of await this.jobGraphs.unfinishedJobIds()) {
      if (this.jobs.has(jobId)) continue;
      try {
        const { submission } = await this.jobGraphs.get(jobId);
        // The slots the previous leader held for it are void: its tasks were canceled with it.
        await this.jobContext.registry.freeJobSlots(jobId);
        const keys = await this.blobStore.list(jobCheckpointsPrefix(jobId));
        const checkpointed = keys.some((key) => checkpointIdOfMetadataKey(jobId, key) !== undefined);
        const restore = checkpointed ? undefined : await this.restorePointOf(submission);
        this.startJobMaster(jobId, submission, restore, recoveredFirstAttempt(fencingToken));
        recovered.push(jobId);
        this.logger.info({ jobId, name: submission.jobGraph.jobName }, 'job recovered by the new leader');
      } catch (err) {
        this.logger.error({ jobId, err }, 'recovering a job failed; the next leader tries again');
      }
    }
    return recovered;
  }

  /**
   * This job manager lost its leadership: every job master stops here without recording a
   * result, and is forgotten (the new leader answers for the jobs now).
   */
  suspendAll(reason: string): void {
    for (const job of this.jobs.values()) {
      job.suspend(reason);
      const ended = job.whenTerminal().finally(() => this.suspending.delete(ended));
      this.suspending.add(ended);
    }
    this.jobs.clear();
  }

  private startJobMaster(
    jobId: string,
    submission: JobSubmission,
    restore: RestorePoint | undefined,
    firstAttempt = 0,
  ): JobMaster {
    const checkpointing = checkpointSettingsFor(this.config, submission.jobGraph.settings);
    const job = new JobMaster(jobId, submission, {
      ...this.jobContext,
      blobStore: this.blobStore,
      checkpointing,
      restartStrategy: restartStrategyForJob(this.config, submission.buildSettings, checkpointing.enabled),
    });
    this.jobs.set(jobId, job);
    job.start(restore, firstAttempt);
    return job;
  }

  async getJob(jobId: string): Promise<JobDetails> {
    const job = this.jobs.get(jobId);
    if (job) return job.details();
    const ended = await this.endedJobs?.details(jobId);
    if (ended) return ended;
    throw new NotFoundError(`no job with id ${jobId}`);
  }

  /** Jobs this leader runs or ran, and those that ended under earlier leaders; newest first. */
  async listJobs(): Promise<JobSummary[]> {
    const own = [...this.jobs.values()].map((j) => j.summary());
    const ended = (await this.endedJobs?.list(new Set(this.jobs.keys()))) ?? [];
    return [...own, ...ended].sort((a, b) => b.startTime - a.startTime);
  }

  async cancelJob(jobId: string): Promise<void> {
    const ended = this.jobs.has(jobId) ? undefined : await this.endedJobs?.details(jobId);
    if (ended) throw new ConflictError(`job ${jobId} already ${ended.status.toLowerCase()}`);
    const job = this.job(jobId);
    if (job.status === 'FINISHED' || job.status === 'FAILED') {
      throw new ConflictError(`job ${jobId} already ${job.status.toLowerCase()}`);
    }
    job.cancel();
  }

  async jobOutput(jobId: string, fromLine: number, fromResult: number): Promise<JobOutputPage> {
    const job = this.jobs.get(jobId);
    if (job) return job.outputPage(fromLine, fromResult);
    const ended = await this.endedJobs?.outputPage(jobId, fromLine, fromResult);
    if (ended) return ended;
    throw new NotFoundError(`no job with id ${jobId}`);
  }

  /** Memory and spill counters of a job's output (bounded memory is observable, not assumed). */
  outputStats(jobId: string): ReturnType<JobMaster['output']['stats']> {
    return this.job(jobId).output.stats();
  }

  async listTaskManagers(): Promise<TaskManagerInfo[]> {
    return this.resourceManager.taskManagerInfo();
  }

  async overview(): Promise<ClusterOverview> {
    const tms = await this.resourceManager.taskManagerInfo();
    const statuses = [...this.jobs.values()].map((j) => j.status);
    const count = (s: string): number => statuses.filter((x) => x === s).length;
    return {
      taskManagers: tms.length,
      slotsTotal: tms.reduce((n, t) => n + t.slotsTotal, 0),
      slotsAvailable: tms.reduce((n, t) => n + t.slotsFree, 0),
      jobsRunning: statuses.filter((s) => !TERMINAL_JOB_STATUSES.has(s)).length,
      jobsFinished: count('FINISHED'),
      jobsCanceled: count('CANCELED'),
      jobsFailed: count('FAILED'),
      version: SLUICE_VERSION,
    };
  }

  async jobPlan(jobId: string): Promise<JobPlan> {
    return jobPlan(jobId, this.job(jobId).submission.jobGraph);
  }

  async jobExceptions(jobId: string): Promise<JobExceptions> {
    return this.job(jobId).exceptionHistory();
  }

  async taskManagerLogs(taskManagerId: string, lines: number): Promise<TaskManagerLogs> {
    const known = (await this.resourceManager.taskManagerInfo()).some((tm) => tm.id === taskManagerId);
    const connection = this.resourceManager.connection(taskManagerId);
    if (!connection) {
      if (!known) throw new NotFoundError(`no TaskManager with id ${taskManagerId}`);
      throw new ConflictError(`TaskManager ${taskManagerId} is not connected: its log cannot be read`);
    }
    const request: LogTailRequest = { lines };
    try {
      const reply = await connection.call(CONTROL.logTail, request, LOG_TAIL_TIMEOUT_MS);
      return { taskManagerId, lines: reply.lines, droppedLines: reply.droppedLines };
    } catch (err) {
      this.logger.warn({ taskManagerId, err }, 'reading a TaskManager log tail failed');
      throw new ConflictError(`TaskManager ${taskManagerId} did not send its log: ${(err as Error).message}`);
    }
  }

  async putArtifact(sha256: string, body: Uint8Array): Promise<void> {
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== sha256) throw new BadRequestError(`artifact body has SHA-256 ${actual}, not ${sha256}`);
    if (await this.blobStore.exists(artifactKey(sha256))) return;
    await this.blobStore.put(artifactKey(sha256), body, {
      contentType: 'application/javascript',
      metadata: { kind: 'artifact' },
    });
  }

  async hasArtifact(sha256: string): Promise<boolean> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new BadRequestError('artifact must be a SHA-256 in hex');
    return this.blobStore.exists(artifactKey(sha256));
  }

  async checkpointStats(jobId: string): Promise<JobCheckpointStats> {
    return this.job(jobId).checkpointStats();
  }

  async checkpointConfig(jobId: string): Promise<JobCheckpointConfig> {
    const config = this.job(jobId).checkpoints?.checkpointConfig();
    if (!config) throw new NotFoundError(`job ${jobId} has no checkpoint storage`);
    return config;
  }

  async checkpointDetails(jobId: string, checkpointId: number): Promise<CheckpointDetails> {
    const checkpoints = this.job(jobId).checkpoints;
    if (!checkpoints) throw new NotFoundError(`job ${jobId} has no checkpoint ${checkpointId}`);
    return checkpoints.checkpointDetails(checkpointId);
  }

  async triggerCheckpoint(jobId: string): Promise<{ checkpointId: number; externalPath: string }> {
    return this.job(jobId).checkpointRequests.triggerCheckpoint();
  }
  /** The savepoint a submission starts from, checked now so a mismatch is a 400, not a failed job. */
  private async restorePointOf(submission: JobSubmission): Promise<RestorePoint | undefined> {
    if (submission.savepointPath === undefined) return undefined;
    const allow = submission.allowNonRestoredState ?? false;
    return savepointRestorePoint(
      this.blobStore,
      submission.savepointPath,
      submission.jobGraph,
      allow,
      this.logger,
    );
  }

  async savepointDirFor(jobId: string, target: string | undefined): Promise<string> {
    const job = this.job(jobId);
    const dir = savepointTargetDir(this.blobStore, target ?? this.config['state.savepoints.dir'], jobId);
    const enabled = job.checkpoints?.checkpointConfig().enabled ?? false;
    if (job.status !== 'RUNNING' || !enabled)
      throw new ConflictError(
        `job ${jobId} is ${job.status}${enabled ? '' : ' without checkpointing'}: only a RUNNING job that checkpoints can take a savepoint`,
      );
    return dir;
  }

  async triggerSavepoint(
    jobId: string,
    dir: string,
    cancelJob: boolean,
  ): Promise<{ checkpointId: number; externalPath: string }> {
    return this.job(jobId).checkpointRequests.triggerSavepoint(dir, cancelJob);
  }

  async stopWithSavepoint(
    jobId: string,
    dir: string,
    drain: boolean,
  ): Promise<{ checkpointId: number; externalPath: string }> {
    return this.job(jobId).checkpointRequests.stopWithSavepoint(dir, drain ? 'drain' : 'no-drain');
  }

  async checkSavepointLocation(location: string): Promise<void> {
    savepointKeyOf(this.blobStore, location);
  }

  async disposeSavepoint(location: string): Promise<string> {
    const { externalPath } = await readSavepoint(this.blobStore, location);
    const deleted = await disposeSavepoint(this.blobStore, location);
    this.logger.info({ location: externalPath, deleted }, 'savepoint disposed');
    return externalPath;
  }

  async inspectSavepoint(location: string): Promise<SavepointDetails> {
    return savepointDetails(this.blobStore, location);
  }

  async listSavepoints(): Promise<SavepointSummary[]> {
    return listSavepoints(this.blobStore, (key, err) =>
      this.logger.warn({ key, err }, 'a savepoint under savepoints/ does not verify; not listed'),
    );
  }

  /** Cancels every job and waits for them to end. */
  async close(): Promise<void> {
    for (const job of this.jobs.values()) job.cancel();
    await Promise.allSettled([...this.jobs.values()].map((j) => j.whenTerminal()));
    await Promise.allSettled([...this.suspending]);
  }

  private job(jobId: string): JobMaster {
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError(`no job with id ${jobId}`);
    return job;
  }
}
