import type { ExecutionState, TaskMetrics } from '../deployment/execution-state';
import type { SerializedError } from '../errors';

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
