import type { KeyGroupRange } from '../graph/key-groups';

/** `execution.checkpointing.mode`: exactly-once aligns barriers, at-least-once does not. */
export type CheckpointingMode = 'exactly-once' | 'at-least-once';

/** What each task needs to know about checkpointing (part of its deployment descriptor). */
export interface TaskCheckpointing {
  readonly mode: CheckpointingMode;
  /**
   * This subtask's key group range per keyed operator of its chain: the TaskManager puts it in
   * the keyed state handles it acknowledges (recovery picks handles by range).
   */
  readonly keyGroupRanges?: Readonly<Record<string, KeyGroupRange>>;
}

/**
 * How a stop-with-savepoint ends the sources (Flink's `StopMode`): `no-drain` stops them right
 * after the savepoint's barrier; `drain` ends their input first, so every operator flushes and
 * the savepoint is the job's final checkpoint (with event time it would also advance it to the end).
 */
export type StopMode = 'drain' | 'no-drain';
