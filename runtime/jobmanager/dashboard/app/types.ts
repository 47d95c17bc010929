/**
 * The REST shapes the dashboard reads. The dashboard is a client of the REST API: it declares
 * what it uses and tolerates fields it does not know (newer job managers add some).
 */

export type JobStatus =
  'CREATED' | 'RUNNING' | 'RESTARTING' | 'FAILING' | 'FAILED' | 'CANCELLING' | 'CANCELED' | 'FINISHED';

export const TERMINAL_JOB_STATUSES: readonly string[] = ['FAILED', 'CANCELED', 'FINISHED'];

export interface DashboardConfig {
  readonly 'refresh-interval': number;
  readonly 'sluice-version': string;
  readonly 'uptime-ms': number;
  readonly features: Readonly<Record<string, boolean>>;
}

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
  readonly tasks: Readonly<Record<string, number>>;
}

export interface SubtaskDetails {
  readonly subtask: number;
  readonly state: string;
  readonly attempt: number;
  readonly taskManagerId?: string;
  readonly host?: string;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly backPressureRatio: number;
  readonly backPressuredMs: number;
  readonly [more: string]: unknown;
}

export interface VertexDetails {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  readonly slotSharingGroup: string;
  readonly status: string;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly backPressure: { readonly ratio: number; readonly level: 'ok' | 'low' | 'high' };
  readonly subtasks: readonly SubtaskDetails[];
  readonly [more: string]: unknown;
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
}

export interface JobDetails extends JobSummary {
  readonly attempt: number;
  readonly restarts: number;
  readonly vertices: readonly VertexDetails[];
  readonly failure?: SerializedError & { readonly timestamp: number };
  readonly [more: string]: unknown;
}

export interface PlanOperator {
  readonly id: string;
  readonly uid?: string;
  readonly name: string;
  readonly kind: string;
  readonly inputCount: number;
  readonly keyed: boolean;
}

export interface PlanNode {
  readonly id: string;
  readonly description: string;
  readonly parallelism: number;
  readonly slotSharingGroup: string;
  readonly inputs: readonly { readonly id: string; readonly num: number; readonly ship_strategy: string }[];
  readonly operators: readonly PlanOperator[];
}

export interface JobPlan {
  readonly plan: { readonly jid: string; readonly name: string; readonly nodes: readonly PlanNode[] };
}

export interface ExceptionEntry {
  readonly exceptionName: string;
  readonly message: string;
  readonly stacktrace?: string;
  readonly timestamp: number;
  readonly attempt: number;
  readonly taskName?: string;
  readonly subtask?: number;
  readonly taskManagerId?: string;
  readonly operatorName?: string;
}

export interface JobExceptions {
  readonly exceptionHistory: { readonly entries: readonly ExceptionEntry[]; readonly truncated: boolean };
}

export interface JobOutputPage {
  readonly lines: readonly string[];
  readonly nextLine: number;
  readonly attempt: number;
  readonly droppedLines: number;
}

export interface ResourceProfile {
  readonly cpuCores: number;
  readonly heapMb: number;
  readonly directMb: number;
  readonly nativeMb: number;
  readonly networkMb: number;
  readonly managedMb: number;
}

export interface TaskManagerInfo {
  readonly id: string;
  readonly dataHost: string;
  readonly dataPort: number;
  readonly slotsTotal: number;
  readonly slotsFree: number;
  readonly totalResources: ResourceProfile;
  readonly freeResources: ResourceProfile;
  readonly slots: readonly {
    readonly index: number;
    readonly allocationId?: string;
    readonly jobId?: string;
    readonly profile?: ResourceProfile;
  }[];
  readonly lastHeartbeat: number;
  readonly connected: boolean;
  /** Server time of the answer (`GET /taskmanagers/:id`), so ages do not depend on the browser's clock. */
  readonly now?: number;
}

export interface TaskManagerLogs {
  readonly lines: readonly string[];
  readonly droppedLines: number;
}

export type CheckpointStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export interface CheckpointSummary {
  readonly id: number;
  readonly status: CheckpointStatus;
  readonly kind: string;
  readonly trigger: string;
  readonly triggerTimestamp: number;
  readonly latestAckTimestamp?: number;
  readonly durationMs: number;
  readonly stateSize: number;
  readonly acknowledgedSubtasks: number;
  readonly totalSubtasks: number;
  readonly externalPath?: string;
  readonly failureMessage?: string;
}

export interface SubtaskCheckpoint {
  readonly vertexId: string;
  readonly subtask: number;
  readonly ackTimestamp?: number;
  readonly stateSize: number;
  readonly alignmentMs: number;
  readonly syncMs: number;
  readonly asyncMs: number;
  readonly uploadMs: number;
}

export interface CheckpointDetails extends CheckpointSummary {
  readonly subtasks: readonly SubtaskCheckpoint[];
}

export interface RestoredCheckpoint {
  readonly id: number;
  readonly restoreTimestamp: number;
  readonly externalPath: string;
  readonly isSavepoint: boolean;
}

/** `GET /jobs/:id/checkpoints`. */
export interface JobCheckpointStats {
  readonly counts: {
    readonly restored: number;
    readonly total: number;
    readonly inProgress: number;
    readonly completed: number;
    readonly failed: number;
  };
  readonly latest: {
    readonly completed?: CheckpointSummary;
    readonly failed?: CheckpointSummary;
    readonly restored?: RestoredCheckpoint;
  };
  readonly history: readonly CheckpointSummary[];
}

/** `GET /jobs/:id/checkpoints/config`. */
export interface JobCheckpointConfig {
  readonly enabled: boolean;
  readonly mode: string;
  readonly intervalMs?: number;
  readonly timeoutMs: number;
  readonly minPauseMs: number;
  readonly maxConcurrent: number;
  readonly tolerableFailures: number;
  readonly retainedCheckpoints: number;
  readonly externalization: string;
  readonly stateBackend: string;
  readonly checkpointStorage: string;
}

/** One savepoint of `GET /savepoints`. */
export interface SavepointSummary {
  readonly location: string;
  readonly jobId: string;
  readonly jobName: string;
  readonly checkpointId: number;
  readonly trigger: string;
  readonly timestamp: number;
  readonly stateSize: number;
}

/** `GET /savepoints/details?path=`: what the savepoint's `_metadata` says. */
export interface SavepointDetails extends SavepointSummary {
  readonly triggerTimestamp: number;
  readonly mode: string;
  readonly graphHash: string;
  readonly operators: readonly {
    readonly id: string;
    readonly uid?: string;
    readonly name: string;
    readonly vertexId: string;
    readonly parallelism: number;
    readonly maxParallelism: number;
    readonly keyedStateSize: number;
    readonly operatorStateSize: number;
    /** Absent from job managers before state names were recorded. */
    readonly keyedStates?: readonly string[];
    readonly operatorStates?: readonly string[];
    readonly subtasks: readonly {
      readonly subtask: number;
      readonly keyedBytes?: number;
      readonly keyGroups?: { readonly start: number; readonly end: number };
      readonly operatorBytes?: number;
    }[];
  }[];
}

/** `GET /jobs/:id/savepoints/:requestId` (also the status of a stop-with-savepoint). */
export interface SavepointRequestStatus {
  readonly requestId: string;
  readonly status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  readonly location?: string;
  readonly failureCause?: { readonly code?: string; readonly message: string };
}
