import type { SerializedError } from '../errors';

/** Task states (Flink's ExecutionState), as reported by task threads and tracked by job masters. */
export type ExecutionState =
  'CREATED' | 'SCHEDULED' | 'DEPLOYING' | 'RUNNING' | 'FINISHED' | 'CANCELING' | 'CANCELED' | 'FAILED';

export const TERMINAL_STATES: ReadonlySet<ExecutionState> = new Set(['FINISHED', 'CANCELED', 'FAILED']);

export interface TaskMetrics {
  readonly recordsIn: number;
  readonly recordsOut: number;
  /** Total time the task could not emit because a consumer had no credit. */
  readonly backPressuredMs: number;
}

/** Messages a task thread sends to the TaskManager thread that owns it. */
export type TaskThreadMessage =
  | { type: 'state'; state: ExecutionState; error?: SerializedError }
  | { type: 'output'; lines: string[]; bytes: number }
  | { type: 'results'; values: unknown[]; bytes: number }
  | { type: 'metrics'; metrics: TaskMetrics };

/** Messages the TaskManager thread sends to a task thread. */
export type TaskControlMessage =
  /** The TaskManager passed on `bytes` of the task's output: it may send that much more. */
  { type: 'output-ack'; bytes: number };

/** What a running task reports: client-bound output and results, batched by the implementation. */
export interface TaskReporter {
  output(line: string): void;
  result(value: unknown): void;
  /**
   * `listener(true)` while too much of the task's output is unacknowledged (the task should
   * stop producing, as under network back pressure), `listener(false)` once it may go on.
   */
  onBacklogChange?(listener: (backlogged: boolean) => void): void;
}
