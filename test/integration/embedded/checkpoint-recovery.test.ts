import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metadataKey } from '../../../runtime/checkpoint/checkpoint-storage-layout';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { writeCheckpoint } from '../../helpers/checkpoints';
import { fixtureJob } from '../../helpers/embedded';

const base = mkdtempSync(join(tmpdir(), 'sluice-ckpt-recovery-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

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
  });

  it('exposes the job checkpoint config and refuses manual checkpoints of a job that does not checkpoint', async () => {
    const blobs = new FsBlobStore({ dir: join(base, 'store-2') });
    const { jobGraph, code } = prepareJob(fixtureJob('unbounded-job'), {}, { parallelism: 1 });
    const cluster = new MiniCluster({ slotsPerTaskManager: 2, blobStore: blobs });
    await cluster.start();
    try {
      const job = cluster.submitJob(jobGraph, code);
      await waitFor(() => job.status === 'RUNNING');
      expect(job.checkpoints?.checkpointConfig()).toMatchObject({
        enabled: false,
        mode: 'exactly-once',
        retainedCheckpoints: 1,
      });
      await expect(job.checkpointRequests.triggerCheckpoint()).rejects.toThrow(/does not checkpoint/);
    } finally {
      await cluster.close();
    }
  });
});
