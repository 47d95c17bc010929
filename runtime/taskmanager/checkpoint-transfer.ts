import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { stateNamesOfSnapshot } from '../state/snapshot-format';
import type {
  KeyedStateHandle,
  OperatorSubtaskStateHandles,
  StateHandle,
  TaskRestoreHandles,
  TaskRestoreState,
} from '../checkpoint/state-handles';
import { stateObjectKey } from '../checkpoint/checkpoint-storage-layout';
import type { TaskDeploymentDescriptor } from '../deployment/task-deployment';
import { CheckpointCorruptError, NotFoundError, StateError } from '../errors';
import { serializeError } from '../error-wire';
import type {
  AcknowledgeCheckpointMessage,
  DeclineCheckpointMessage,
  TaskRef,
} from '../rpc/control-protocol';
import type { BlobStore } from '../storage/blob-store';
import type { Logger } from '../util/logger';
import type { CheckpointAckFromTask, TaskEvents, TaskKey } from './task-executor';

/** Where a TaskManager sends checkpoint reports. */
export interface CheckpointReports {
  acknowledge(message: AcknowledgeCheckpointMessage): void;
  decline(message: DeclineCheckpointMessage): void;
  endOfInput(task: TaskRef): void;
  readonly log: Logger;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Moves checkpoint state between task threads and the blob store, on the TaskManager's main
 * thread (docs/architecture.md §6): task threads only hand over bytes, they never hold the
 * store's credentials. Used by the cluster's TaskManager and the MiniCluster's in-process ones.
 */
export class CheckpointTransfer {
  /** Key group ranges of each deployed task's keyed operators, for its keyed handles. */
  private readonly keyGroupRanges = new Map<
    string,
    Readonly<Record<string, { start: number; end: number }>>
  >();

  constructor(private readonly blobs: BlobStore) {}

  /** Remembers what uploading the task's snapshots needs to know about it. */
  register(tdd: TaskDeploymentDescriptor): void {
    this.keyGroupRanges.set(taskId(tdd), tdd.checkpointing?.keyGroupRanges ?? {});
  }

  /** Forgets the tasks of `jobId` up to `upToAttempt` (every attempt when omitted). */
  forget(jobId: string, upToAttempt = Infinity): void {
    for (const id of this.keyGroupRanges.keys()) {
      const [job, attempt] = id.split('/');
      if (job === jobId && Number(attempt) <= upToAttempt) this.keyGroupRanges.delete(id);
    }
  }

  /**
   * The task executor's checkpoint events, wired to `reports` (the control connection, or the
   * job master directly in a MiniCluster): a snapshot is uploaded, then acknowledged; a failed
   * upload declines the checkpoint (the task goes on).
   */
  taskEvents(
    reports: CheckpointReports,
  ): Required<Pick<TaskEvents, 'onCheckpointAck' | 'onCheckpointDeclined' | 'onEndOfInput'>> {
    return {
      onCheckpointAck: (task, ack) =>
        void this.upload(task, ack).then(
          (message) => reports.acknowledge(message),
          (err: unknown) => {
            reports.log.warn(
              { task, checkpointId: ack.checkpointId, err },
              'uploading a checkpoint snapshot failed',
            );
            reports.decline({ ...task, checkpointId: ack.checkpointId, error: serializeError(err) });
          },
        ),
      onCheckpointDeclined: (task, checkpointId, error) => reports.decline({ ...task, checkpointId, error }),
      onEndOfInput: (task) => reports.endOfInput(task),
    };
  }

  /**
   * Uploads each byte array of a task's snapshot to its layout key and returns the
   * acknowledgement to send, with handles (key, size, SHA-256) and the upload time.
   */
  async upload(task: TaskKey, ack: CheckpointAckFromTask): Promise<AcknowledgeCheckpointMessage> {
    const started = performance.now();
    const ranges = this.keyGroupRanges.get(taskId(task)) ?? {};
    const operators: Record<string, OperatorSubtaskStateHandles> = {};
    await Promise.all(
      Object.entries(ack.operators).map(async ([operatorId, snapshot]) => {
        const handles: { keyed?: KeyedStateHandle; operator?: StateHandle } = {};
        if (snapshot.keyed) {
          const keyGroupRange = ranges[operatorId];
          if (!keyGroupRange)
            throw new StateError(
              `operator ${operatorId} sent keyed state but its key group range is unknown`,
            );
          const handle = await this.put(task, ack.checkpointId, operatorId, 'keyed', snapshot.keyed);
          handles.keyed = { ...handle, keyGroupRange };
        }
        if (snapshot.operator)
          handles.operator = await this.put(
            task,
            ack.checkpointId,
            operatorId,
            'operator',
            snapshot.operator,
          );
        if (handles.keyed || handles.operator) operators[operatorId] = handles;
      }),
    );
    const uploadMs = Math.round(performance.now() - started);
    return { ...task, checkpointId: ack.checkpointId, operators, timings: { ...ack.timings, uploadMs } };
  }

  /**
   * Downloads every object `handles` names and verifies its size and SHA-256.
   * @throws CheckpointCorruptError naming the object when one is missing or does not match.
   */
  async download(handles: TaskRestoreHandles): Promise<TaskRestoreState> {
    const operators: Record<string, TaskRestoreState['operators'][string]> = {};
    await Promise.all(
      Object.entries(handles.operators).map(async ([operatorId, h]) => {
        const [keyed, operator] = await Promise.all([
          Promise.all(h.keyed.map((x) => this.fetch(x))),
          Promise.all(h.operator.map((x) => this.fetch(x))),
        ]);
        operators[operatorId] = { keyed, operator, parallelism: h.parallelism };
      }),
    );
    return { checkpointId: handles.checkpointId, operators };
  }

  private async put(
    task: TaskKey,
    checkpointId: number,
    operatorId: string,
    kind: 'keyed' | 'operator',
    bytes: Uint8Array,
  ): Promise<StateHandle> {
    const key = stateObjectKey(task.jobId, checkpointId, operatorId, task.subtaskIndex, kind);
    await this.blobs.put(key, bytes, {
      contentType: 'application/octet-stream',
      metadata: { kind: `checkpoint-${kind}-state`, job: task.jobId, 'checkpoint-id': String(checkpointId) },
    });
    const states = stateNamesOf(bytes);
    return { key, bytes: bytes.byteLength, sha256: sha256(bytes), ...(states ? { states } : {}) };
  }

  private async fetch(handle: StateHandle): Promise<Uint8Array> {
    let body: Uint8Array;
    try {
      body = await this.blobs.get(handle.key);
    } catch (err) {
      if (err instanceof NotFoundError) throw new CheckpointCorruptError(handle.key, 'the object is missing');
      throw err;
    }
    const actual = sha256(body);
    if (body.byteLength !== handle.bytes || actual !== handle.sha256)
      throw new CheckpointCorruptError(
        handle.key,
        `${body.byteLength} bytes with SHA-256 ${actual}, expected ${handle.bytes} bytes with ${handle.sha256}`,
      );
    return body;
  }
}

/** The snapshot's state names for `_metadata`; informational, so a failure to read them only omits them. */
function stateNamesOf(bytes: Uint8Array): string[] | undefined {
  try {
    return stateNamesOfSnapshot(bytes);
  } catch {
    return undefined;
  }
}

function taskId(t: TaskKey): string {
  return `${t.jobId}/${t.attempt}/${t.vertexId}/${t.subtaskIndex}`;
}
