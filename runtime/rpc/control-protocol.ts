import type { RpcConnection } from './rpc-connection';
import type { TaskManagerRecord } from '../coordination/slot-registry';
import type { StopMode } from '../checkpoint/checkpointing-mode';
import type { SerializedError } from '../error-wire';
import type { PeerAddress } from '../network/exchange-transport';
import type { TaskDeploymentDescriptor } from '../deployment/task-deployment';
import type { ExecutionState, TaskMetrics } from '../deployment/execution-state';
import type { OperatorSubtaskStateHandles } from '../checkpoint/state-handles';

/** Per-phase timings of one subtask's part of a checkpoint. */
export interface CheckpointAckTimings {
  readonly alignmentMs: number;
  readonly syncMs: number;
  readonly asyncMs: number;
  /** Uploading the snapshot to the blob store (by the TaskManager). */
  readonly uploadMs: number;
}

/** Method names of the control channel between the job manager and TaskManagers. */
export const CONTROL = {
  // TaskManager -> job manager
  register: 'register',
  heartbeat: 'heartbeat',
  taskState: 'taskState',
  taskOutput: 'taskOutput',
  taskResults: 'taskResults',
  taskMetrics: 'taskMetrics',
  taskEndOfInput: 'taskEndOfInput',
  acknowledgeCheckpoint: 'acknowledgeCheckpoint',
  declineCheckpoint: 'declineCheckpoint',
  // job manager -> TaskManager (fenced)
  deployTask: 'deployTask',
  cancelJob: 'cancelJob',
  triggerCheckpoint: 'triggerCheckpoint',
  notifyCheckpointComplete: 'notifyCheckpointComplete',
  abortCheckpoint: 'abortCheckpoint',
  /** Read-only, so not fenced: the tail of the TaskManager's own log. */
  logTail: 'logTail',
} as const;

export interface RegisterRequest {
  readonly record: TaskManagerRecord;
}

export interface RegisterReply {
  /** The leader's fencing token; the TaskManager rejects control messages with a lower one. */
  readonly fencingToken: number;
  readonly heartbeatIntervalMs: number;
}

export interface TaskRef {
  readonly jobId: string;
  readonly attempt: number;
  readonly vertexId: string;
  readonly subtaskIndex: number;
}

export interface TaskStateMessage extends TaskRef {
  readonly state: ExecutionState;
  readonly error?: SerializedError;
}

export interface TaskOutputMessage {
  readonly jobId: string;
  readonly attempt: number;
  readonly lines?: string[];
  readonly results?: unknown[];
}

export interface TaskMetricsMessage extends TaskRef {
  readonly metrics: TaskMetrics;
}

export interface DeployTaskRequest {
  readonly fencingToken: number;
  readonly tdd: TaskDeploymentDescriptor;
  /** SHA-256 of the job bundle in the blob store (`artifacts/<sha>.js`). */
  readonly artifact: string;
  /** For every channel of the task whose other end runs in another TaskManager: where. */
  readonly remotePeers: Record<string, PeerAddress>;
  /** Old-generation heap limit of the task thread (from the slot's profile). */
  readonly heapMb?: number;
  readonly exchange: 'tcp' | 'sqs';
}

export interface CancelJobRequest {
  readonly fencingToken: number;
  readonly jobId: string;
  /** Cancels this attempt and every earlier one. */
  readonly attempt: number;
}

/** Checkpoint messages to a TaskManager name the job attempt they are for. */
export interface CheckpointRef {
  readonly jobId: string;
  readonly attempt: number;
  readonly checkpointId: number;
}

export interface TriggerCheckpointRequest extends CheckpointRef {
  readonly fencingToken: number;
  readonly timestamp: number;
  /** The subtasks on this TaskManager to trigger: sources, and tasks whose input ended. */
  readonly tasks: readonly { readonly vertexId: string; readonly subtaskIndex: number }[];
  /** Stop-with-savepoint: how the source tasks among `tasks` end their sources around the barrier. */
  readonly stop?: StopMode;
}

export interface CheckpointNoticeRequest extends CheckpointRef {
  readonly fencingToken: number;
}

export interface AcknowledgeCheckpointMessage extends TaskRef {
  readonly checkpointId: number;
  /** The uploaded state by operator id (operators without state are left out). */
  readonly operators: Readonly<Record<string, OperatorSubtaskStateHandles>>;
  readonly timings: CheckpointAckTimings;
}

export interface DeclineCheckpointMessage extends TaskRef {
  readonly checkpointId: number;
  readonly error: SerializedError;
}

export interface LogTailRequest {
  /** Most lines wanted, newest last. */
  readonly lines: number;
}

export interface LogTailReply {
  readonly lines: string[];
  /** Lines the TaskManager logged before these that it no longer keeps (or were not asked for). */
  readonly droppedLines: number;
}

/**
 * The control protocol: each method's request (or one-way message) body and its reply, the one
 * place both sides take their types from. Handlers and calls on a `ControlConnection` are
 * checked against it, so no handler casts an `unknown` body. Errors cross the wire serialized
 * and come back as their typed classes (`deserializeError`, by name and code).
 */
export interface ControlProtocol {
  [method: string]: { request: unknown; reply: unknown };
  // TaskManager -> job manager
  register: { request: RegisterRequest; reply: RegisterReply };
  heartbeat: { request: Record<string, never>; reply: void };
  taskState: { request: TaskStateMessage; reply: void };
  /** Acknowledged: the reply is the job manager's back pressure on job output. */
  taskOutput: { request: TaskOutputMessage; reply: void };
  taskResults: { request: TaskOutputMessage; reply: void };
  taskMetrics: { request: TaskMetricsMessage; reply: void };
  /** With checkpointing on: the task ended its input and waits for the final checkpoint. */
  taskEndOfInput: { request: TaskRef; reply: void };
  acknowledgeCheckpoint: { request: AcknowledgeCheckpointMessage; reply: void };
  declineCheckpoint: { request: DeclineCheckpointMessage; reply: void };
  // job manager -> TaskManager
  deployTask: { request: DeployTaskRequest; reply: void };
  /** Replies once the job's task threads are gone. */
  cancelJob: { request: CancelJobRequest; reply: void };
  /** Replies once the named tasks were told (not when they finished their part). */
  triggerCheckpoint: { request: TriggerCheckpointRequest; reply: void };
  notifyCheckpointComplete: { request: CheckpointNoticeRequest; reply: void };
  abortCheckpoint: { request: CheckpointNoticeRequest; reply: void };
  logTail: { request: LogTailRequest; reply: LogTailReply };
}

/** The control connection between the job manager and one TaskManager. */
export type ControlConnection = RpcConnection<ControlProtocol>;
