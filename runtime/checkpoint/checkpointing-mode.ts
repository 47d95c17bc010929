/** `execution.checkpointing.mode`: exactly-once aligns barriers, at-least-once does not. */
export type CheckpointingMode = 'exactly-once' | 'at-least-once';

/** What each task needs to know about checkpointing (part of its deployment descriptor). */
export interface TaskCheckpointing {
  readonly mode: CheckpointingMode;
}
