/**
 * Barriers travel in band behind the records already sent, and need no credit: a checkpoint
 * completes while a slow sink back-pressures the job (issue 8), without unaligned checkpoints.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';

const base = mkdtempSync(join(tmpdir(), 'sluice-ckpt-backpressure-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

test('a checkpoint completes while a slow sink back-pressures the source', async () => {
  const { jobGraph, code } = prepareJob(
    fixtureJob('slow-sink-job'),
    { count: '100000000', burnUs: '20' },
    { parallelism: 1, checkpointIntervalMs: 300 },
  );
  const cluster = new MiniCluster({ slotsPerTaskManager: 2, blobStore: new FsBlobStore({ dir: base }) });
  await cluster.start();
  try {
    const job = cluster.submitJob(jobGraph, code);
    const source = () => job.details().vertices.find((v) => v.name.includes('fast-source'))!;
    await waitFor(() => source().backPressure.level === 'high', {
      what: 'the source to be back-pressured',
      timeoutMs: 30_000,
    });
    const completedBefore = job.checkpointStats().counts.completed;
    await waitFor(() => job.checkpointStats().counts.completed >= completedBefore + 2, {
      what: 'two checkpoints to complete under back pressure',
      // Each barrier waits behind the buffers in flight (credits x buffer size), as in Flink.
      timeoutMs: 60_000,
    });
    expect(source().backPressure.level).toBe('high');
    expect(job.status).toBe('RUNNING');
    const latest = job.checkpointStats().latest.completed!;
    expect(latest.acknowledgedSubtasks).toBe(latest.totalSubtasks);
    job.cancel();
    await job.whenTerminal();
  } finally {
    await cluster.close();
  }
}, 120_000);
