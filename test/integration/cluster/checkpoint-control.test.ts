/**
 * The TaskManager process's side of checkpoints that needs no task thread: fenced checkpoint
 * control calls, and a restore whose state fails its SHA-256 in the TaskManager (the typed
 * error crosses the control connection, the job master falls back to an older checkpoint).
 */
import { metadataKey } from '../../../runtime/checkpoint/checkpoint-storage-layout';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { SluiceError } from '../../../runtime/errors';
import { CONTROL } from '../../../runtime/rpc/control-protocol';
import { blobStoreOptions } from '../../../runtime/services/runtime-services';
import type { BlobStore } from '../../../runtime/storage/blob-store';
import { createBlobStore } from '../../../runtime/storage/create-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { writeCheckpoint } from '../../helpers/checkpoints';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';

let cluster: TestCluster;
let blobs: BlobStore;

beforeAll(async () => {
  cluster = await TestCluster.start();
  blobs = createBlobStore(blobStoreOptions(cluster.config));
}, 120_000);

afterAll(async () => {
  await blobs?.close();
  await cluster?.stop();
});

test('checkpoint control calls with a stale fencing token are refused', async () => {
  const tm = await cluster.startTaskManager(1);
  const connection = cluster.jobManager.resourceManager.connection(tm.id)!;
  const ref = { jobId: 'nope', attempt: 0, checkpointId: 1 };
  // The current token is accepted (no such job: nothing to tell, no error).
  await connection.call(CONTROL.notifyCheckpointComplete, { fencingToken: 1, ...ref });
  for (const call of [
    () => connection.call(CONTROL.triggerCheckpoint, { fencingToken: 0, ...ref, timestamp: 0, tasks: [] }),
    () => connection.call(CONTROL.notifyCheckpointComplete, { fencingToken: 0, ...ref }),
    () => connection.call(CONTROL.abortCheckpoint, { fencingToken: 0, ...ref }),
  ]) {
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe('SLUICE_CONFLICT');
  }
  await tm.kill();
});

test('a TaskManager refuses state that fails its SHA-256; the job restores an older checkpoint', async () => {
  const first = await cluster.startTaskManager(2);
  const second = await cluster.startTaskManager(2);
  const settings = {
    parallelism: 1,
    checkpointIntervalMs: 3_600_000,
    restartStrategy: { 'restart-strategy.fixed-delay.delay': 50 },
  };
  const { jobGraph } = prepareJob(fixtureJob('unbounded-job'), {}, settings);
  const jobId = await cluster.submit(fixtureJob('unbounded-job'), {}, settings);
  const running = await cluster.waitForAllTasksRunning(jobId);
  await writeCheckpoint(blobs, jobId, jobGraph, 1);
  const altered = (await writeCheckpoint(blobs, jobId, jobGraph, 2, { bytes: Buffer.from('position 42') }))!;
  await blobs.put(altered, 'position 43');
  const victim = running.vertices[0]!.subtasks[0]!.taskManagerId;
  await [first, second].find((tm) => tm.id === victim)!.kill('SIGKILL');
  const gateway = cluster.jobManager.dispatcher;
  await waitFor(async () => (await gateway.checkpointStats(jobId)).latest.restored?.id === 1, {
    what: 'checkpoint 1 restored',
    timeoutMs: 30_000,
  });
  await cluster.waitForAllTasksRunning(jobId);
  const exceptions = await gateway.jobExceptions(jobId);
  const corrupt = exceptions.exceptionHistory.entries.find((e) => e.code === 'SLUICE_CHECKPOINT_CORRUPT');
  expect(corrupt?.message).toContain(altered);
  expect(corrupt?.message).toContain('SHA-256');
  await gateway.cancelJob(jobId);
  await cluster.waitForStatus(jobId, ['CANCELED']);
  await waitFor(async () => (await blobs.list(`checkpoints/${jobId}`)).length === 0, {
    what: 'checkpoints deleted on cancel',
  });
  expect(await blobs.exists(metadataKey(jobId, 1))).toBe(false);
}, 120_000);
