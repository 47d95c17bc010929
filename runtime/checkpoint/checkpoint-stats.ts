import type { CheckpointingMode } from './checkpointing-mode';

/**
 * What the job manager tells about a job's checkpoints (Flink's checkpoint statistics, REST
 * `GET /jobs/:id/checkpoints*`, `sluice info`, the dashboard's checkpoints tab).
 */

export type CheckpointStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** One subtask's part of a checkpoint. */
export interface SubtaskCheckpointStats {
  readonly vertexId: string;
  readonly subtask: number;
  /** When the acknowledgement arrived at the job manager; absent while pending. */
  readonly ackTimestamp?: number;
  readonly stateSize: number;
  readonly alignmentMs: number;
  readonly syncMs: number;
  readonly asyncMs: number;
  readonly uploadMs: number;
}

export interface CheckpointSummaryStats {
  readonly id: number;
  readonly status: CheckpointStatus;
  /** Savepoints are triggered by users and never pruned (issue 9); checkpoints are periodic or manual. */
  readonly kind: 'checkpoint' | 'savepoint';
  /** `periodic`, `manual` (POST /jobs/:id/checkpoints) or `final` (end of a bounded job). */
  readonly trigger: 'periodic' | 'manual' | 'final' | 'savepoint';
  readonly triggerTimestamp: number;
  /** Latest acknowledgement (or completion/failure) time. */
  readonly latestAckTimestamp?: number;
  readonly durationMs: number;
  /** Bytes of state uploaded so far (all of it once completed). */
  readonly stateSize: number;
  readonly acknowledgedSubtasks: number;
  readonly totalSubtasks: number;
  /** Where the checkpoint lives (`s3://…/chk-7` or `file:///…/chk-7`), once completed. */
  readonly externalPath?: string;
  /** Why it failed. */
  readonly failureMessage?: string;
}

export interface CheckpointDetails extends CheckpointSummaryStats {
  readonly subtasks: readonly SubtaskCheckpointStats[];
}

export interface RestoredCheckpointStats {
  readonly id: number;
  readonly restoreTimestamp: number;
  readonly externalPath: string;
  readonly isSavepoint: boolean;
}

export interface JobCheckpointStats {
  readonly counts: {
    readonly restored: number;
    readonly total: number;
    readonly inProgress: number;
    readonly completed: number;
    readonly failed: number;
  };
  readonly latest: {
    readonly completed?: CheckpointSummaryStats;
    readonly failed?: CheckpointSummaryStats;
    readonly restored?: RestoredCheckpointStats;
  };
  /** Newest first, bounded (`web.checkpoints.history`, default 10). */
  readonly history: readonly CheckpointSummaryStats[];
}

/** `GET /jobs/:id/checkpoints/config`: the job's checkpointing settings in effect. */
export interface JobCheckpointConfig {
  readonly enabled: boolean;
  readonly mode: CheckpointingMode;
  /** Absent when periodic checkpoints are off (manual and final ones still happen when enabled). */
  readonly intervalMs?: number;
  readonly timeoutMs: number;
  readonly minPauseMs: number;
  readonly maxConcurrent: number;
  readonly tolerableFailures: number;
  readonly retainedCheckpoints: number;
  readonly externalization: 'delete-on-cancellation' | 'retain-on-cancellation';
  readonly stateBackend: 'heap' | 'kv';
  /** Where checkpoints of this job go (`s3://bucket/prefix/checkpoints/<jobId>`). */
  readonly checkpointStorage: string;
}
