import { createHash } from 'node:crypto';
import type { CheckpointMetadata } from '../../runtime/checkpoint/checkpoint-metadata';
import { encodeMetadata } from '../../runtime/checkpoint/checkpoint-metadata';
import { metadataKey, stateObjectPath } from '../../runtime/checkpoint/checkpoint-storage-layout';
import type { JobGraph } from '../../runtime/graph/job-graph';
import type { BlobStore } from '../../runtime/storage/blob-store';

/**
 * A completed checkpoint as the coordinator would have written it. Its state is empty except,
 * when `object` is given, an operator-state object of the first operator: restoring it is
 * checked by SHA-256 before any task sees it (so these tests hold whatever a task restores).
 */
export async function writeCheckpoint(
  blobs: BlobStore,
  jobId: string,
  jobGraph: JobGraph,
  checkpointId: number,
  object?: { bytes: Buffer },
): Promise<string | undefined> {
  const first = jobGraph.vertices[0]!;
  const op = first.operators[0]!;
  const path = stateObjectPath(op.id, 0, 'operator');
  const dir = `checkpoints/${jobId}/chk-${checkpointId}`;
  if (object) await blobs.put(`${dir}/${path}`, object.bytes);
  const fields: Omit<CheckpointMetadata, 'checksum'> = {
    format: 'sluice-checkpoint',
    version: 1,
    jobId,
    jobName: jobGraph.jobName,
    checkpointId,
    kind: 'checkpoint',
    trigger: 'periodic',
    triggerTimestamp: Date.now(),
    completionTimestamp: Date.now(),
    mode: 'exactly-once',
    graphHash: jobGraph.graphHash,
    operators: jobGraph.vertices.flatMap((v) =>
      v.operators.map((o) => ({
        id: o.id,
        name: o.name,
        vertexId: v.id,
        parallelism: v.parallelism,
        maxParallelism: o.maxParallelism,
        subtasks:
          object && o.id === op.id
            ? [
                {
                  subtask: 0,
                  operator: {
                    path,
                    bytes: object.bytes.length,
                    sha256: createHash('sha256').update(object.bytes).digest('hex'),
                  },
                },
              ]
            : [],
      })),
    ),
    stateSize: object?.bytes.length ?? 0,
  };
  await blobs.put(metadataKey(jobId, checkpointId), encodeMetadata(fields));
  return object ? `${dir}/${path}` : undefined;
}
