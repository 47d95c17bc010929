import type { PutOptions } from '../storage/blob-store';
import type { ExecutionState, TaskMetrics } from '../deployment/execution-state';
import type { StopMode } from '../checkpoint/checkpointing-mode';
import type { SerializedError } from '../error-wire';
import type { OperatorSnapshotBytes } from '../checkpoint/state-handles';

/** How long each phase of one subtask's checkpoint took. */
export interface SubtaskCheckpointTimings {
  /** From the first barrier to the last one on this task's inputs (0 for sources). */
  readonly alignmentMs: number;
  /** Snapshotting every operator of the chain (records wait meanwhile). */
  readonly syncMs: number;
  /** Encoding the snapshots to bytes, while records flow again. */
  readonly asyncMs: number;
}

/** A blob-store call a task thread asks its TaskManager to make (the thread holds no credentials). */
export type TaskBlobRequest =
  | { op: 'put'; key: string; body: Uint8Array }
  | { op: 'get'; key: string }
  | { op: 'get-range'; key: string; offset: number; length: number }
  | { op: 'size'; key: string }
  | { op: 'copy'; from: string; to: string; options?: PutOptions }
  | { op: 'exists'; key: string }
  | { op: 'list'; prefix: string }
  | { op: 'delete'; key: string };

export type TaskBlobReply =
  | { ok: true; body?: Uint8Array; exists?: boolean; keys?: string[]; size?: number }
  | { ok: false; error: SerializedError };

/** Messages a task thread sends to the TaskManager thread that owns it. */
export type TaskThreadMessage =
  | { type: 'state'; state: ExecutionState; error?: SerializedError }
  | { type: 'output'; lines: string[]; bytes: number }
  | { type: 'results'; values: unknown[]; bytes: number }
  | { type: 'metrics'; metrics: TaskMetrics }
  /** The subtask's snapshot for a checkpoint: bytes by operator id, uploaded by the TaskManager. */
  | {
      type: 'checkpoint-ack';
      checkpointId: number;
      operators: OperatorSnapshotBytes;
      timings: SubtaskCheckpointTimings;
      /**
       * Taken after the task's end of input (Flink's `isTaskFinished`): this state is final,
       * and once this checkpoint completes the task reports FINISHED. Later checkpoints get no
       * ack from it; its state in them is this one.
       */
      taskFinished?: boolean;
    }
  /** The subtask could not take its part of a checkpoint (the checkpoint fails, the task goes on). */
  | { type: 'checkpoint-declined'; checkpointId: number; error: SerializedError }
  /**
   * With checkpointing on: every input of the task ended and its operators finished; it waits
   * for a final checkpoint to complete (so sinks commit) before it reports FINISHED.
   */
  | { type: 'end-of-input' }
  | { type: 'blob'; id: number; request: TaskBlobRequest };

/** Messages the TaskManager thread sends to a task thread. */
export type TaskControlMessage =
  /** The TaskManager passed on `bytes` of the task's output: it may send that much more. */
  | { type: 'output-ack'; bytes: number }
  /**
   * Start checkpoint `checkpointId`: sent to source tasks (they inject the barrier) and to
   * tasks whose input ended (no barrier can reach them any more).
   */
  | { type: 'trigger-checkpoint'; checkpointId: number; timestamp: number; stop?: StopMode }
  | { type: 'checkpoint-complete'; checkpointId: number }
  | { type: 'checkpoint-aborted'; checkpointId: number }
  /** Stop: the task frees its state (closing a kv store's files) before its thread exits. */
  | { type: 'cancel' }
  | { type: 'blob-reply'; id: number; reply: TaskBlobReply };

/** What a running task reports: client-bound output and results, batched by the implementation. */
export interface TaskReporter {
  output(line: string): void;
  result(value: unknown): void;
  /**
   * `listener(true)` while too much of the task's output is unacknowledged (the task should
   * stop producing, as under network back pressure), `listener(false)` once it may go on.
   */
  onBacklogChange?(listener: (backlogged: boolean) => void): void;
  /** Posts a message to the TaskManager thread; the buffers in `transfer` move instead of being copied. */
  send(message: TaskThreadMessage, transfer?: ArrayBuffer[]): void;
}
