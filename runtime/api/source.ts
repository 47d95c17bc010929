import type { ConnectorContext } from './connector-context';

/**
 * Source interface, shaped after Flink's FLIP-27 SourceReader so a source can later take part
 * in checkpoints: a reader reports its position with `snapshotState` and resumes from it with
 * `restoreState`. Readers are polled by the task thread; `pollNext` must not block.
 */
export interface Source<T> {
  readonly boundedness: 'bounded' | 'unbounded';
  /** Called in the task thread, once per subtask. */
  createReader(context: SourceReaderContext): SourceReader<T>;
}

export interface SourceReaderContext extends ConnectorContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** The TaskManager running this reader ('embedded' in the mini cluster), for error messages. */
  readonly taskManagerId: string;
}

export interface ReaderOutput<T> {
  collect(record: T): void;
}

/**
 * - `more`: call again soon.
 * - `nothing-available`: wait for `isAvailable()` before calling again.
 * - `end`: the reader is exhausted (bounded sources only).
 */
export type InputStatus = 'more' | 'nothing-available' | 'end';

export interface SourceReader<T, S = unknown> {
  start?(): void | Promise<void>;
  /** Emits zero or more records (a small batch is fine) and says what to do next. */
  pollNext(output: ReaderOutput<T>): InputStatus;
  /** Resolves when `pollNext` may produce records again after `nothing-available`. */
  isAvailable?(): Promise<void>;
  /**
   * The reader's position, JSON/msgpack-serializable: one per subtask, so such a source
   * restores only at the parallelism it was checkpointed with. Readers that can be rescaled
   * implement `snapshotSplits` / `restoreSplits` instead (either pair is enough).
   */
  snapshotState?(checkpointId: number): S;
  /** Restores a position taken by `snapshotState` (before `start`). */
  restoreState?(state: S): void;
  /**
   * The reader's splits with their progress (Flink's FLIP-27 `snapshotState` → splits): each
   * split is kept as its own element of the source's operator state, so a restore at another
   * parallelism hands every subtask a share of them (possibly none) through `restoreSplits`,
   * called before `start` instead of the reader's initial assignment. Finished splits may be left out.
   */
  snapshotSplits?(checkpointId: number): S[];
  restoreSplits?(splits: S[]): void;
  close?(): void | Promise<void>;
}
