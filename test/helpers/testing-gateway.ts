import { createHash, randomUUID } from 'node:crypto';
import { BadRequestError, ConflictError, NotFoundError } from '../../runtime/errors';
import type {
  ClusterOverview,
  JobDetails,
  JobManagerGateway,
  JobOutputPage,
  JobStatus,
  JobSubmission,
  JobSummary,
  SubtaskDetails,
  TaskManagerInfo,
  VertexDetails,
} from '../../runtime/jobmanager/gateway';
import { TERMINAL_JOB_STATUSES } from '../../runtime/jobmanager/gateway';
import type { ExecutionState } from '../../runtime/deployment/execution-state';
import type { JobExceptions } from '../../runtime/jobmanager/exception-history';
import type { InsightGateway, JobPlan, TaskManagerLogs } from '../../runtime/jobmanager/insight-gateway';
import { jobPlan } from '../../runtime/jobmanager/job-plan';
import { TestingCheckpointGateway } from './testing-checkpoint-gateway';

/** What the testing gateway keeps per job; tests drive it with the `set…`/`emit` methods. */
export interface TestingJob {
  readonly jobId: string;
  readonly submission: JobSubmission;
  status: JobStatus;
  readonly startTime: number;
  endTime?: number;
  attempt: number;
  restarts: number;
  readonly lines: string[];
  readonly results: unknown[];
  droppedLines: number;
  failure?: { message: string; timestamp: number };
  readonly vertexMetrics: Map<
    string,
    { recordsIn: number; recordsOut: number; backPressureRatio: number; busyTimeMsPerSecond?: number }
  >;
}

/**
 * TEST DOUBLE of the job manager: an in-memory `JobManagerGateway` with the documented
 * semantics (NotFoundError, ConflictError, hash-checked artifacts) and no scheduling at all.
 * Jobs stay CREATED until a test moves them with `setStatus`; output appears with `emit`.
 */
export class TestingJobManagerGateway implements JobManagerGateway, InsightGateway {
  /** The checkpoint side of the same jobs (scripted statistics, manual triggers). */
  readonly checkpoints = new TestingCheckpointGateway(this);
  readonly artifacts = new Map<string, Uint8Array>();
  readonly submissions: JobSubmission[] = [];
  readonly taskManagers: TaskManagerInfo[] = [];
  /** Names of the gateway methods called, in order. */
  readonly calls: string[] = [];
  /** Most lines or results one `jobOutput` page returns, so clients must page. */
  outputPageSize = 1_000;
  /** Thrown (once) by the next gateway call: simulates a job manager bug. */
  failNextCall: Error | undefined;
  private readonly jobs = new Map<string, TestingJob>();

  async overview(): Promise<ClusterOverview> {
    this.enter('overview');
    const count = (status: JobStatus) => [...this.jobs.values()].filter((j) => j.status === status).length;
    return {
      taskManagers: this.taskManagers.length,
      slotsTotal: this.taskManagers.reduce((n, tm) => n + tm.slotsTotal, 0),
      slotsAvailable: this.taskManagers.reduce((n, tm) => n + tm.slotsFree, 0),
      jobsRunning: count('RUNNING'),
      jobsFinished: count('FINISHED'),
      jobsCanceled: count('CANCELED'),
      jobsFailed: count('FAILED'),
      version: '0.0.0-testing',
    };
  }

  async listJobs(): Promise<JobSummary[]> {
    this.enter('listJobs');
    return [...this.jobs.values()].map((job) => this.summary(job));
  }

  async submitJob(submission: JobSubmission): Promise<{ jobId: string }> {
    this.enter('submitJob');
    if (!this.artifacts.has(submission.artifact))
      throw new BadRequestError(`unknown artifact ${submission.artifact}`);
    const jobId = randomUUID().replaceAll('-', '');
    this.submissions.push(submission);
    this.jobs.set(jobId, {
      jobId,
      submission,
      status: 'CREATED',
      startTime: Date.now(),
      attempt: 0,
      restarts: 0,
      lines: [],
      results: [],
      droppedLines: 0,
      vertexMetrics: new Map(),
    });
    return { jobId };
  }

  async getJob(jobId: string): Promise<JobDetails> {
    this.enter('getJob');
    const job = this.job(jobId);
    return {
      ...this.summary(job),
      attempt: job.attempt,
      restarts: job.restarts,
      vertices: job.submission.jobGraph.vertices.map((v) => this.vertexDetails(job, v.id)),
      edges: job.submission.jobGraph.edges,
      ...(job.failure
        ? { failure: { name: 'JobFailedError', code: 'SLUICE_JOB_FAILED', ...job.failure } }
        : {}),
    };
  }

  async cancelJob(jobId: string): Promise<void> {
    this.enter('cancelJob');
    const job = this.job(jobId);
    if (job.status === 'CANCELLING' || job.status === 'CANCELED') return;
    if (TERMINAL_JOB_STATUSES.has(job.status))
      throw new ConflictError(`job ${jobId} is already ${job.status}`);
    this.setStatus(jobId, 'CANCELED');
  }

  async jobOutput(jobId: string, fromLine: number, fromResult: number): Promise<JobOutputPage> {
    this.enter('jobOutput');
    const job = this.job(jobId);
    const lines = job.lines.slice(fromLine, fromLine + this.outputPageSize);
    const results = job.results.slice(fromResult, fromResult + this.outputPageSize);
    return {
      lines,
      results,
      nextLine: fromLine + lines.length,
      nextResult: fromResult + results.length,
      attempt: 0,
      status: job.status,
      droppedLines: job.droppedLines,
    };
  }

  async listTaskManagers(): Promise<TaskManagerInfo[]> {
    this.enter('listTaskManagers');
    return this.taskManagers;
  }

  async putArtifact(sha256: string, body: Uint8Array): Promise<void> {
    this.enter('putArtifact');
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== sha256) throw new BadRequestError(`artifact body has SHA-256 ${actual}, not ${sha256}`);
    this.artifacts.set(sha256, Uint8Array.from(body));
  }

  async hasArtifact(sha256: string): Promise<boolean> {
    this.enter('hasArtifact');
    return this.artifacts.has(sha256);
  }

  async jobPlan(jobId: string): Promise<JobPlan> {
    this.enter('jobPlan');
    return jobPlan(jobId, this.job(jobId).submission.jobGraph);
  }

  async jobExceptions(jobId: string): Promise<JobExceptions> {
    this.enter('jobExceptions');
    const { failure } = this.job(jobId);
    const entries = failure
      ? [
          {
            exceptionName: 'JobFailedError',
            message: failure.message,
            timestamp: failure.timestamp,
            attempt: 0,
          },
        ]
      : [];
    return { exceptionHistory: { entries, truncated: false } };
  }

  async taskManagerLogs(taskManagerId: string): Promise<TaskManagerLogs> {
    this.enter('taskManagerLogs');
    throw new NotFoundError(`no TaskManager with id ${taskManagerId}`);
  }

  // ---- driving the double from tests ----

  /** The job record (throws NotFoundError for an unknown id, as the gateway does). */
  job(jobId: string): TestingJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError(`job ${jobId} not found`);
    return job;
  }

  /** The most recently submitted job's id, or undefined. */
  lastJobId(): string | undefined {
    return [...this.jobs.keys()].at(-1);
  }

  /** Moves a job to `status`; RESTARTING counts a restart, FAILED records `failure`. */
  setStatus(jobId: string, status: JobStatus, failure?: string): void {
    const job = this.job(jobId);
    job.status = status;
    if (status === 'RESTARTING') {
      job.restarts++;
      job.attempt++;
    }
    if (failure !== undefined) job.failure = { message: failure, timestamp: Date.now() };
    if (TERMINAL_JOB_STATUSES.has(status)) job.endTime = Date.now();
  }

  /** Appends printed lines and collected results, as running tasks would. */
  emit(jobId: string, output: { lines?: string[]; results?: unknown[]; dropped?: number }): void {
    const job = this.job(jobId);
    job.lines.push(...(output.lines ?? []));
    job.results.push(...(output.results ?? []));
    job.droppedLines += output.dropped ?? 0;
  }

  setVertexMetrics(
    jobId: string,
    vertexId: string,
    metrics: {
      recordsIn: number;
      recordsOut: number;
      backPressureRatio: number;
      busyTimeMsPerSecond?: number;
    },
  ): void {
    this.job(jobId).vertexMetrics.set(vertexId, metrics);
  }

  private enter(method: string): void {
    this.calls.push(method);
    const err = this.failNextCall;
    if (err) {
      this.failNextCall = undefined;
      throw err;
    }
  }

  private summary(job: TestingJob): JobSummary {
    const tasks: Partial<Record<ExecutionState, number>> = {};
    const state = taskState(job.status);
    const count = job.submission.jobGraph.vertices.reduce((n, v) => n + v.parallelism, 0);
    tasks[state] = count;
    return {
      jobId: job.jobId,
      name: job.submission.jobGraph.jobName,
      status: job.status,
      startTime: job.startTime,
      ...(job.endTime !== undefined ? { endTime: job.endTime } : {}),
      durationMs: (job.endTime ?? Date.now()) - job.startTime,
      tasks,
    };
  }

  private vertexDetails(job: TestingJob, vertexId: string): VertexDetails {
    const vertex = job.submission.jobGraph.vertices.find((v) => v.id === vertexId)!;
    const metrics = job.vertexMetrics.get(vertexId) ?? { recordsIn: 0, recordsOut: 0, backPressureRatio: 0 };
    const state = taskState(job.status);
    const busy = metrics.busyTimeMsPerSecond ?? 0;
    // Every operator of the chain passes on what the vertex got: a double, not a model.
    const operators = (recordsIn: number, recordsOut: number) =>
      vertex.operators.map((o) => ({ id: o.id, name: o.name, recordsIn, recordsOut }));
    const backPressured = Math.round(metrics.backPressureRatio * 1000);
    const subtasks: SubtaskDetails[] = Array.from({ length: vertex.parallelism }, (_, subtask) => ({
      subtask,
      state,
      attempt: job.attempt,
      recordsIn: Math.floor(metrics.recordsIn / vertex.parallelism),
      recordsOut: Math.floor(metrics.recordsOut / vertex.parallelism),
      backPressureRatio: metrics.backPressureRatio,
      backPressuredMs: 0,
      busyTimeMsPerSecond: busy,
      idleTimeMsPerSecond: Math.max(0, 1000 - busy - backPressured),
      backPressuredTimeMsPerSecond: backPressured,
      operators: operators(
        Math.floor(metrics.recordsIn / vertex.parallelism),
        Math.floor(metrics.recordsOut / vertex.parallelism),
      ),
    }));
    const ratio = metrics.backPressureRatio;
    return {
      id: vertex.id,
      name: vertex.name,
      parallelism: vertex.parallelism,
      slotSharingGroup: vertex.slotSharingGroup,
      status: state,
      recordsIn: metrics.recordsIn,
      recordsOut: metrics.recordsOut,
      backPressure: { ratio, level: ratio > 0.5 ? 'high' : ratio > 0.1 ? 'low' : 'ok' },
      busyTimeMsPerSecond: busy,
      backPressuredTimeMsPerSecond: backPressured,
      operators: operators(metrics.recordsIn, metrics.recordsOut),
      subtasks,
    };
  }
}

function taskState(status: JobStatus): ExecutionState {
  switch (status) {
    case 'CREATED':
      return 'SCHEDULED';
    case 'RESTARTING':
    case 'CANCELLING':
    case 'FAILING':
      return 'CANCELING';
    default:
      return status;
  }
}
