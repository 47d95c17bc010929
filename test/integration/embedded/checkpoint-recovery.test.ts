import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointMetadata } from '../../../runtime/checkpoint/checkpoint-metadata';
import { encodeMetadata } from '../../../runtime/checkpoint/checkpoint-metadata';
import { metadataKey, stateObjectPath } from '../../../runtime/checkpoint/checkpoint-storage-layout';
import { prepareJob } from '../../../runtime/client/prepare-job';
import type { JobGraph } from '../../../runtime/graph/job-graph';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';

const base = mkdtempSync(join(tmpdir(), 'sluice-ckpt-recovery-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/**
 * A completed checkpoint as the coordinator would have written it. Its state is empty except,
 * when `object` is given, an operator-state object of the first operator: restoring it is
 * checked by SHA-256 before any task sees it (so these tests hold whatever a task restores).
 */
async function writeCheckpoint(
  blobs: FsBlobStore,
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

describe('recovery from checkpoints (MiniCluster, real job master and in-process TaskManagers)', () => {
  it('skips a corrupt _metadata and a checkpoint whose state fails its SHA-256, restoring an older one', async () => {
    const blobs = new FsBlobStore({ dir: join(base, 'store') });
    const { jobGraph, code } = prepareJob(
      fixtureJob('unbounded-job'),
      {},
      {
        parallelism: 1,
        checkpointIntervalMs: 3_600_000,
        restartStrategy: { 'restart-strategy.fixed-delay.delay': 50 },
      },
    );
    const cluster = new MiniCluster({ slotsPerTaskManager: 2, blobStore: blobs });
    await cluster.start();
    try {
      const job = cluster.submitJob(jobGraph, code);
      await waitFor(() => job.details().tasks.RUNNING === jobGraph.vertices.length, {
        what: 'attempt 0 running',
      });
      // Three completed checkpoints: 1 sound, 2 with a state object altered after upload, 3 with a torn _metadata.
      await writeCheckpoint(blobs, job.jobId, jobGraph, 1);
      const altered = await writeCheckpoint(blobs, job.jobId, jobGraph, 2, {
        bytes: Buffer.from('position 42'),
      });
      await blobs.put(altered!, 'position 43');
      await writeCheckpoint(blobs, job.jobId, jobGraph, 3);
      const torn = metadataKey(job.jobId, 3);
      await blobs.put(torn, Buffer.from(await blobs.get(torn)).subarray(0, 100));

      job.onTaskManagerLost('minicluster-tm-0', 'lost in a test');
      await waitFor(() => job.attempt === 2 && job.details().tasks.RUNNING === jobGraph.vertices.length, {
        what: 'attempt 2 running',
        timeoutMs: 20_000,
      });
      const stats = job.checkpointStats();
      expect(stats.latest.restored).toMatchObject({ id: 1, isSavepoint: false });
      expect(stats.counts.restored).toBe(2); // 2 (refused by the TaskManager), then 1
      const entries = job.exceptionHistory().exceptionHistory.entries;
      const corrupt = entries.filter((e) => e.code === 'SLUICE_CHECKPOINT_CORRUPT');
      expect(corrupt.map((e) => e.message)).toEqual(
        expect.arrayContaining([
          expect.stringContaining(altered!),
          expect.stringMatching(new RegExp(`${torn}.*skipped`)),
        ]),
      );
      expect(job.restarts).toBe(2);

      // delete-on-cancellation (default): the job's checkpoints go with it.
      job.cancel();
      await job.whenTerminal();
      expect(job.status).toBe('CANCELED');
      expect(await blobs.list(`checkpoints/${job.jobId}`)).toEqual([]);
    } finally {
      await cluster.close();
    }
  }, 60_000);

  it('exposes the job checkpoint config and refuses manual checkpoints of a job that does not checkpoint', async () => {
    const blobs = new FsBlobStore({ dir: join(base, 'store-2') });
    const { jobGraph, code } = prepareJob(fixtureJob('unbounded-job'), {}, { parallelism: 1 });
    const cluster = new MiniCluster({ slotsPerTaskManager: 2, blobStore: blobs });
    await cluster.start();
    try {
      const job = cluster.submitJob(jobGraph, code);
      await waitFor(() => job.status === 'RUNNING');
      expect(job.checkpointConfig()).toMatchObject({
        enabled: false,
        mode: 'exactly-once',
        retainedCheckpoints: 1,
      });
      await expect(job.triggerCheckpoint()).rejects.toThrow(/does not checkpoint/);
    } finally {
      await cluster.close();
    }
  });
});
