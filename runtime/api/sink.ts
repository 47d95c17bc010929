import type { ConnectorContext } from './connector-context';

/** Sink interface: one writer per subtask, created in the task thread. */
export interface Sink<T> {
  createWriter(context: SinkWriterContext): SinkWriter<T>;
}

export interface SinkWriterContext extends ConnectorContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** The TaskManager running this writer ('embedded' in the mini cluster), for error messages. */
  readonly taskManagerId: string;
  /**
   * True when the job checkpoints: a writer with side effects should then stage them and make
   * them visible only in `commit` (two-phase commit), so a restart never shows them twice.
   */
  readonly checkpointing: boolean;
  /**
   * The job attempt this writer belongs to, when known. A task of a canceled attempt may still
   * write for a moment beside the next attempt's (a TaskManager that has not yet noticed a
   * failover), so a writer keeps its scratch files apart per attempt.
   */
  readonly attemptNumber?: number;
  /** Sends a line of text to the client that runs the job (what `print` uses). */
  emitOutput(line: string): void;
  /** Sends a value to the client that runs the job (what `collect` uses). */
  emitResult(value: unknown): void;
}

/**
 * One subtask's writer. With checkpointing on, a two-phase-commit writer (Flink's
 * TwoPhaseCommittingSink) implements `prepareCommit` and `commit`: at each checkpoint barrier
 * it stages what it wrote since the last one and returns committables (serializable; they are
 * kept in the checkpoint); once that checkpoint completes, `commit` makes them visible. On
 * recovery, committables of the restored checkpoint are committed again: `commit` must be
 * idempotent (committing what is already committed does nothing).
 */
export interface SinkWriter<T> {
  write(record: T): void;
  /** Called once after the last record of a bounded input. */
  finish?(): void;
  /**
   * Releases the writer; may finish asynchronously (an upload). Called after `finish` when the
   * input ended, and also when the task fails or is canceled (then without `finish`).
   */
  close?(): void | Promise<void>;
  /** Stages everything written before checkpoint `checkpointId`'s barrier; returns committables. */
  prepareCommit?(checkpointId: number): unknown[];
  /** Makes the committables of completed checkpoints visible. Idempotent. */
  commit?(committables: unknown[]): void | Promise<void>;
}
