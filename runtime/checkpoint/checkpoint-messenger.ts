import type {
  AcknowledgeCheckpointMessage,
  CheckpointNoticeRequest,
  TriggerCheckpointRequest,
} from '../rpc/control-protocol';
import type { BlobStore } from '../storage/blob-store';
import type { Logger } from '../util/logger';
import type { StopMode } from './checkpointing-mode';

/** One subtask of the running attempt, where it runs, and whether it is a source (barriers start there). */
export interface CoordinatedTask {
  readonly vertexId: string;
  readonly subtaskIndex: number;
  readonly taskManagerId: string;
  readonly isSource: boolean;
}

/**
 * What the coordinator asks of a TaskManager: the checkpoint part of the job master's
 * `TaskExecutorGateway` (which satisfies it), here so checkpoint code stays below the job manager.
 */
export interface CheckpointTaskManagerGateway {
  triggerCheckpoint(trigger: Omit<TriggerCheckpointRequest, 'fencingToken'>): Promise<void>;
  notifyCheckpointComplete(notice: Omit<CheckpointNoticeRequest, 'fencingToken'>): Promise<void>;
  abortCheckpoint(notice: Omit<CheckpointNoticeRequest, 'fencingToken'>): Promise<void>;
}

export interface CheckpointMessengerOptions {
  readonly jobId: string;
  readonly attempt: number;
  readonly tasks: readonly CoordinatedTask[];
  readonly taskExecutor: (taskManagerId: string) => CheckpointTaskManagerGateway | undefined;
  /** Where late acknowledgements' objects are deleted. */
  readonly blobStore: BlobStore;
  readonly logger: Logger;
}

/**
 * The coordinator's messages to the TaskManagers of one attempt (docs/architecture.md §6):
 * triggers grouped per TaskManager, completion and abort notices to every TaskManager that runs
 * a task, and the clean-up of objects named by acknowledgements that came too late.
 */
export class CheckpointMessenger {
  constructor(private readonly o: CheckpointMessengerOptions) {}

  /**
   * Tells `targets` to start checkpoint `checkpointId` (with `stop`, sources end around it: a
   * stop-with-savepoint); rejects when a TaskManager cannot be told.
   */
  async trigger(
    checkpointId: number,
    timestamp: number,
    targets: readonly CoordinatedTask[],
    stop?: StopMode,
  ): Promise<void> {
    const byTaskManager = new Map<string, { vertexId: string; subtaskIndex: number }[]>();
    for (const t of targets) {
      const list = byTaskManager.get(t.taskManagerId) ?? [];
      list.push({ vertexId: t.vertexId, subtaskIndex: t.subtaskIndex });
      byTaskManager.set(t.taskManagerId, list);
    }
    await Promise.all(
      [...byTaskManager].map(([taskManagerId, tasks]) => {
        const gateway = this.o.taskExecutor(taskManagerId);
        if (!gateway) throw new Error(`TaskManager ${taskManagerId} is not reachable`);
        return gateway.triggerCheckpoint({
          jobId: this.o.jobId,
          attempt: this.o.attempt,
          checkpointId,
          timestamp,
          tasks,
          ...(stop ? { stop } : {}),
        });
      }),
    );
  }

  /** A notice to every TaskManager of the attempt; a failed one is logged, not thrown. */
  async notify(method: 'notifyCheckpointComplete' | 'abortCheckpoint', checkpointId: number): Promise<void> {
    const taskManagers = new Set(this.o.tasks.map((t) => t.taskManagerId));
    await Promise.all(
      [...taskManagers].map(async (taskManagerId) => {
        try {
          const notice = { jobId: this.o.jobId, attempt: this.o.attempt, checkpointId };
          await this.o.taskExecutor(taskManagerId)?.[method](notice);
        } catch (err) {
          this.o.logger.warn({ jobId: this.o.jobId, taskManagerId, checkpointId, err }, `${method} failed`);
        }
      }),
    );
  }

  /** An acknowledgement for a checkpoint that is gone: its objects would otherwise stay forever. */
  async discardLateAck(ack: AcknowledgeCheckpointMessage): Promise<void> {
    const keys = Object.values(ack.operators).flatMap((o) =>
      [o.keyed?.key, o.operator?.key].filter((k): k is string => k !== undefined),
    );
    for (const key of keys)
      await this.o.blobStore
        .delete(key)
        .catch((err: unknown) =>
          this.o.logger.warn({ key, err }, 'deleting a late checkpoint object failed'),
        );
  }
}
