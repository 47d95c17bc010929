import type { JobGraph } from '../graph/job-graph';
import { keyGroupRangeForSubtask } from '../graph/key-groups';
import { StateError } from '../errors';
import type { CheckpointMetadata } from './checkpoint-metadata';
import { joinBlobKey } from '../storage/blob-key';
import { checkpointDir } from './checkpoint-storage-layout';
import type { KeyedStateHandle, StateHandle, TaskRestoreHandles } from './state-handles';

/**
 * What one subtask of a new attempt restores from a completed checkpoint (Flink's
 * StateAssignmentOperation): per operator of its chain, the keyed handles whose key groups
 * intersect its own range (so a changed parallelism redistributes keyed state by key group),
 * and every old subtask's operator-state handle in old subtask order with the old parallelism.
 * Every subtask of a restored attempt gets one, with no operators when its chain had no state.
 * @throws StateError when an operator's max parallelism changed (its key groups would not match).
 */
export function restoreHandlesFor(
  metadata: CheckpointMetadata,
  jobGraph: JobGraph,
  vertexId: string,
  subtask: number,
  /** The checkpoint's (or savepoint's) directory: state paths are relative to it. */
  dir: string = checkpointDir(metadata.jobId, metadata.checkpointId),
): TaskRestoreHandles {
  const vertex = jobGraph.vertices.find((v) => v.id === vertexId);
  if (!vertex) throw new StateError(`vertex ${vertexId} is not part of the job graph`);
  const byId = new Map(metadata.operators.map((o) => [o.id, o]));
  const operators: Record<string, TaskRestoreHandles['operators'][string]> = {};
  const key = (path: string): string => joinBlobKey(dir, path);
  for (const op of vertex.operators) {
    const old = byId.get(op.id);
    if (!old || old.subtasks.length === 0) continue;
    if (old.maxParallelism !== op.maxParallelism && old.subtasks.some((s) => s.keyed))
      throw new StateError(
        `operator '${op.name}' (${op.id}) has max parallelism ${op.maxParallelism}, but checkpoint ${metadata.checkpointId} holds its keyed state for ${old.maxParallelism} key groups`,
      );
    const range = keyGroupRangeForSubtask(op.maxParallelism, vertex.parallelism, subtask);
    const keyed: KeyedStateHandle[] = [];
    const operator: StateHandle[] = [];
    for (const s of old.subtasks) {
      const k = s.keyed;
      if (k && k.keyGroupRange.start <= range.end && k.keyGroupRange.end >= range.start)
        keyed.push({ key: key(k.path), bytes: k.bytes, sha256: k.sha256, keyGroupRange: k.keyGroupRange });
      if (s.operator)
        operator.push({ key: key(s.operator.path), bytes: s.operator.bytes, sha256: s.operator.sha256 });
    }
    operators[op.id] = { keyed, operator, parallelism: old.parallelism };
  }
  return { checkpointId: metadata.checkpointId, operators };
}
