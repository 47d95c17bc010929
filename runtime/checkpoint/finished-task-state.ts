import type { BlobStore } from '../storage/blob-store';
import type { CheckpointMetadata } from './checkpoint-metadata';
import { joinBlobKey } from '../storage/blob-key';
import { checkpointDir, stateObjectKey } from './checkpoint-storage-layout';
import type { OperatorSubtaskStateHandles, StateHandle } from './state-handles';
import type { PendingCheckpoint } from './pending-checkpoint';

/** Where finished subtasks' state comes from, and which subtask a key names. */
export interface CarrySource {
  readonly jobId: string;
  readonly attempt: number;
  readonly subtaskOf: (key: string) => { readonly vertexId: string; readonly subtaskIndex: number };
  /** The latest completed checkpoint (or the restored one) and its directory. */
  readonly from: CheckpointMetadata | undefined;
  readonly fromDir: string | undefined;
}

/**
 * Adds to `pending`, for every subtask that FINISHED before it, the state carried over from
 * `source.from` (see `carryFinishedState`), as if the subtask had acknowledged it.
 */
export async function carryFinishedSubtasks(
  blobs: BlobStore,
  pending: PendingCheckpoint,
  source: CarrySource,
): Promise<void> {
  for (const key of pending.finished) {
    const { vertexId, subtaskIndex } = source.subtaskOf(key);
    const { jobId, attempt, from, fromDir } = source;
    const operators = await carryFinishedState(
      blobs,
      from,
      jobId,
      pending.id,
      vertexId,
      subtaskIndex,
      fromDir,
    );
    pending.addCarried({
      jobId,
      attempt,
      vertexId,
      subtaskIndex,
      checkpointId: pending.id,
      operators,
      timings: { alignmentMs: 0, syncMs: 0, asyncMs: 0, uploadMs: 0 },
    });
  }
}

/**
 * The state of a subtask that FINISHED, for a checkpoint taken after it (Flink's "finished
 * tasks" in checkpoints, FLIP-147): it cannot acknowledge any more, and its state has not
 * changed since the checkpoint it finished on, so its objects in `from` (the latest completed
 * checkpoint) are copied into checkpoint `checkpointId`. Each checkpoint directory stays
 * self-contained, so pruning `from` later loses nothing.
 */
export async function carryFinishedState(
  blobs: BlobStore,
  from: CheckpointMetadata | undefined,
  jobId: string,
  checkpointId: number,
  vertexId: string,
  subtask: number,
  /** Directory of `from` (a savepoint's when the attempt restored one). */
  fromDir: string | undefined = from && checkpointDir(from.jobId, from.checkpointId),
): Promise<Record<string, OperatorSubtaskStateHandles>> {
  const operators: Record<string, OperatorSubtaskStateHandles> = {};
  if (!from) return operators;
  const copy = async (path: string, kind: 'keyed' | 'operator', opId: string): Promise<string> => {
    const key = stateObjectKey(jobId, checkpointId, opId, subtask, kind);
    await blobs.put(key, await blobs.get(joinBlobKey(fromDir!, path)));
    return key;
  };
  for (const op of from.operators) {
    if (op.vertexId !== vertexId) continue;
    const state = op.subtasks.find((s) => s.subtask === subtask);
    if (!state) continue;
    const handles: { keyed?: OperatorSubtaskStateHandles['keyed']; operator?: StateHandle } = {};
    if (state.keyed) {
      const { path, bytes, sha256, keyGroupRange } = state.keyed;
      handles.keyed = { key: await copy(path, 'keyed', op.id), bytes, sha256, keyGroupRange };
    }
    if (state.operator) {
      const { path, bytes, sha256 } = state.operator;
      handles.operator = { key: await copy(path, 'operator', op.id), bytes, sha256 };
    }
    operators[op.id] = handles;
  }
  return operators;
}
