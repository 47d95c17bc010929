import type { JobArgs } from '../api/job';
import type { JobSettings } from '../api/job-settings';
import type { SerializedError } from '../error-wire';
import type { JobGraph } from '../graph/job-graph';
import type { ResourceProfile } from '../deployment/resource-profile';
import type { ExecutionState, OperatorMetrics } from '../deployment/execution-state';

/**
 * What the REST API (and tests) may ask of the job manager. The REST layer validates input and
 * maps errors (`NotFoundError` → 404, `BadRequestError` → 400, `ConflictError` → 409); the
 * gateway owns the semantics.
 */
export interface JobManagerGateway {
  overview(): Promise<ClusterOverview>;
  listJobs(): Promise<JobSummary[]>;
  /** Validates and accepts a job; it is scheduled asynchronously. */
  submitJob(submission: JobSubmission): Promise<{ jobId: string }>;
  /** Throws `NotFoundError` for an unknown id. */
  getJob(jobId: string): Promise<JobDetails>;
  /** Cancels a running job; idempotent for a job already canceling or canceled. `ConflictError` once finished or failed. */
  cancelJob(jobId: string): Promise<void>;
  /** Printed lines and collected results from index `fromLine` / `fromResult` on. */
  jobOutput(jobId: string, fromLine: number, fromResult: number): Promise<JobOutputPage>;
  listTaskManagers(): Promise<TaskManagerInfo[]>;
  /** Stores a job bundle; `BadRequestError` when its SHA-256 is not `sha256`. Idempotent. */
  putArtifact(sha256: string, body: Uint8Array): Promise<void>;
  hasArtifact(sha256: string): Promise<boolean>;
}

/** What a client submits: the plan, the code that rebuilds it, and how it was built. */
export interface JobSubmission {
  readonly jobGraph: JobGraph;
  /** SHA-256 (hex) of the job bundle previously stored with `putArtifact`. */
  readonly artifact: string;
  readonly args: JobArgs;
  readonly buildSettings: JobSettings;
  /** Start from this savepoint (Flink's `savepointPath`; its location rule applies). */
  readonly savepointPath?: string;
  /** With `savepointPath`: drop state of operators the job no longer has instead of refusing. */
  readonly allowNonRestoredState?: boolean;
}

/** Flink's JobStatus. */
export type JobStatus =
  'CREATED' | 'RUNNING' | 'RESTARTING' | 'FAILING' | 'FAILED' | 'CANCELLING' | 'CANCELED' | 'FINISHED';

export const TERMINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['FAILED', 'CANCELED', 'FINISHED']);

export interface ClusterOverview {
  readonly taskManagers: number;
  readonly slotsTotal: number;
  readonly slotsAvailable: number;
  readonly jobsRunning: number;
  readonly jobsFinished: number;
  readonly jobsCanceled: number;
  readonly jobsFailed: number;
  readonly version: string;
}

export interface JobSummary {
  readonly jobId: string;
  readonly name: string;
  readonly status: JobStatus;
  readonly startTime: number;
  readonly endTime?: number;
  readonly durationMs: number;
  readonly tasks: Partial<Record<ExecutionState, number>>;
}

export interface SubtaskDetails {
  readonly subtask: number;
  readonly state: ExecutionState;
  readonly attempt: number;
  readonly taskManagerId?: string;
  readonly host?: string;
  /** Records into the chain: from the network, or read by its sources. */
  readonly recordsIn: number;
  /** Records out of the chain: to the network, or written by its sinks. */
  readonly recordsOut: number;
  /** Share of the last interval the task could not emit for lack of credit, 0..1. */
  readonly backPressureRatio: number;
  readonly backPressuredMs: number;
  /** Flink's time split of a running task over the last metrics interval: they add up to ~1000. */
  readonly busyTimeMsPerSecond: number;
  readonly idleTimeMsPerSecond: number;
  readonly backPressuredTimeMsPerSecond: number;
  /** Records in and out of each operator of the chain, in chain order. */
  readonly operators: readonly OperatorMetrics[];
}

export interface VertexDetails {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  readonly slotSharingGroup: string;
  readonly status: ExecutionState;
  readonly recordsIn: number;
  readonly recordsOut: number;
  /** Highest back pressure ratio among its subtasks, with Flink's level names. */
  readonly backPressure: { ratio: number; level: 'ok' | 'low' | 'high' };
  /** Of its running subtasks, the highest busy and back-pressured ms per second. */
  readonly busyTimeMsPerSecond: number;
  readonly backPressuredTimeMsPerSecond: number;
  /** Per operator of the chain, records in and out summed over the subtasks. */
  readonly operators: readonly OperatorMetrics[];
  readonly subtasks: SubtaskDetails[];
}

export interface JobDetails extends JobSummary {
  readonly attempt: number;
  readonly restarts: number;
  readonly vertices: VertexDetails[];
  readonly edges: JobGraph['edges'];
  readonly failure?: SerializedError & { timestamp: number };
  /** What the job waits for, in words: `waiting for slots: needs N, M available`. */
  readonly statusDetail?: string;
  /** Set while the job waits for slots: it needs `needed` and the cluster has `available` free. */
  readonly waitingForSlots?: { readonly needed: number; readonly available: number };
}

export interface JobOutputPage {
  readonly lines: string[];
  readonly results: unknown[];
  /** Index to ask from next time. */
  readonly nextLine: number;
  readonly nextResult: number;
  readonly status: JobStatus;
  /** Lines dropped because the job printed more than the job manager keeps. */
  readonly droppedLines: number;
  /**
   * The attempt this output belongs to. After a restart (without checkpoints) output starts
   * over: a client that saw another attempt should read again from 0.
   */
  readonly attempt: number;
}

export interface TaskManagerInfo {
  readonly id: string;
  readonly dataHost: string;
  readonly dataPort: number;
  readonly slotsTotal: number;
  readonly slotsFree: number;
  readonly totalResources: ResourceProfile;
  readonly freeResources: ResourceProfile;
  readonly slots: { index: number; allocationId?: string; jobId?: string; profile?: ResourceProfile }[];
  readonly lastHeartbeat: number;
  readonly connected: boolean;
}
