/**
 * The completed checkpoint (or savepoint) a job starts from (docs/architecture.md §6, §8).
 * Only carried by the job master so far: restoring state arrives with checkpoints (issue 8).
 */
export interface RestorePoint {
  readonly checkpointId: number;
  /** Blob key of the checkpoint's `_metadata` (docs/architecture.md §7). */
  readonly metadataKey: string;
  /** Start even when the checkpoint holds state of an operator the job no longer has (Flink's name). */
  readonly allowNonRestoredState?: boolean;
}
