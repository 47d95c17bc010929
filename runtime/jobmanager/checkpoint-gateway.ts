import type {
  CheckpointDetails,
  JobCheckpointConfig,
  JobCheckpointStats,
} from '../checkpoint/checkpoint-stats';

/**
 * What REST (`/jobs/:id/checkpoints*`), the CLI and the dashboard may ask of the job manager
 * about checkpoints. Kept apart from `JobManagerGateway` like `InsightGateway`; the dispatcher
 * implements it by asking the job's master.
 */
export interface CheckpointGateway {
  /** Checkpoint counts, latest and history. `NotFoundError` for an unknown job. */
  checkpointStats(jobId: string): Promise<JobCheckpointStats>;
  /** The job's checkpointing settings in effect. `NotFoundError` for an unknown job. */
  checkpointConfig(jobId: string): Promise<JobCheckpointConfig>;
  /** `NotFoundError` for an unknown job or a checkpoint no longer in the history. */
  checkpointDetails(jobId: string, checkpointId: number): Promise<CheckpointDetails>;
  /**
   * Triggers a checkpoint now; resolves once it completed, with its id and location (rejects
   * with the reason when it failed). `ConflictError` when the job is not running or does not
   * checkpoint.
   */
  triggerCheckpoint(jobId: string): Promise<{ checkpointId: number; externalPath: string }>;
}
