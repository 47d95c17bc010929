import type { TaskManagerView } from '../coordination/slot-registry';
import type {
  DeployTaskRequest,
  TriggerCheckpointRequest,
  CheckpointNoticeRequest,
} from '../rpc/control-protocol';

/** A checkpoint trigger without the fencing token (the gateway adds it). */
export type CheckpointTrigger = Omit<TriggerCheckpointRequest, 'fencingToken'>;
export type CheckpointNotice = Omit<CheckpointNoticeRequest, 'fencingToken'>;

/** A task to start: its descriptor, where its code is and how its channels reach other TaskManagers. */
export type TaskDeployment = Omit<DeployTaskRequest, 'fencingToken'>;

/**
 * The job master's view of one TaskManager (Flink's TaskExecutorGateway). Adapters: over the
 * control connection (`RpcTaskExecutorGateway`, a cluster) and calling an in-process task
 * executor (`runtime/minicluster`, embedded runs). Either way the TaskManager reports task
 * states, output and metrics back into the job master's `onTask*` callbacks.
 */
export interface TaskExecutorGateway {
  /**
   * Starts one subtask attempt. Resolves once the TaskManager accepted it (its thread is
   * starting); the task's states follow as reports. Rejects when the TaskManager cannot run
   * it (the job bundle cannot be fetched, a stale fencing token, the connection is gone).
   */
  deployTask(deployment: TaskDeployment): Promise<void>;
  /**
   * Stops every task of `jobId` up to and including `attempt` and forgets their channels.
   * Resolves when their threads have exited; idempotent.
   */
  cancelJob(jobId: string, attempt: number): Promise<void>;
  /** Tells the named subtasks to start a checkpoint (sources inject its barrier). */
  triggerCheckpoint(trigger: CheckpointTrigger): Promise<void>;
  /** Tells every subtask of the attempt on this TaskManager that the checkpoint completed. */
  notifyCheckpointComplete(notice: CheckpointNotice): Promise<void>;
  /** Tells every subtask of the attempt on this TaskManager that the checkpoint was aborted. */
  abortCheckpoint(notice: CheckpointNotice): Promise<void>;
}

/** What a job master asks of the resource manager: which TaskManagers to use and how to reach one. */
export interface ResourceManagerGateway {
  /** Live TaskManagers the job master may allocate slots on, with their allocations. */
  usableTaskManagers(): Promise<TaskManagerView[]>;
  /** The gateway to a TaskManager, or undefined when it is not reachable (lost, not connected). */
  taskExecutor(taskManagerId: string): TaskExecutorGateway | undefined;
  /**
   * Calls `listener` whenever a TaskManager registers, so a job waiting for slots looks again at
   * once (after a failover they arrive within moments); returns a function that stops it.
   */
  onTaskManagerRegistered?(listener: () => void): () => void;
}
