/** Task states (Flink's ExecutionState), as reported by task threads and tracked by job masters. */
export type ExecutionState =
  'CREATED' | 'SCHEDULED' | 'DEPLOYING' | 'RUNNING' | 'FINISHED' | 'CANCELING' | 'CANCELED' | 'FAILED';

export const TERMINAL_STATES: ReadonlySet<ExecutionState> = new Set(['FINISHED', 'CANCELED', 'FAILED']);

/** Records through one operator of a chain. */
export interface OperatorMetrics {
  readonly id: string;
  readonly name: string;
  /** Records the operator received; for a source, the records it read. */
  readonly recordsIn: number;
  /** Records the operator emitted; for a sink, the records it wrote. */
  readonly recordsOut: number;
  /** The operator's event time: the lowest watermark of its inputs (absent before the first). */
  readonly currentInputWatermark?: number;
  /** The last watermark the operator emitted (absent before the first). */
  readonly currentOutputWatermark?: number;
  /**
   * Records that arrived after their windows (or join interval) could take them and went to no
   * side output (Flink's numLateRecordsDropped); only operators that drop late records have it.
   */
  readonly lateRecordsDropped?: number;
}

/**
 * A task's counters since it started running. Its time splits as in Flink: busy (processing),
 * idle (waiting for input) and back-pressured (waiting for credit to emit), which add up to
 * `runningMs`. The job manager turns differences between reports into ms per second.
 */
export interface TaskMetrics {
  /** Records into the chain: from the network, or read by its sources. */
  readonly recordsIn: number;
  /** Records out of the chain: to the network, or written by its sinks. */
  readonly recordsOut: number;
  readonly runningMs: number;
  readonly busyMs: number;
  readonly idleMs: number;
  /** Total time the task could not emit because a consumer had no credit. */
  readonly backPressuredMs: number;
  readonly operators: readonly OperatorMetrics[];
}
