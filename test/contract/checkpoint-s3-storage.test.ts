import { CheckpointCoordinator } from '../../runtime/checkpoint/checkpoint-coordinator';
import { InMemoryCheckpointIdCounter } from '../../runtime/checkpoint/checkpoint-id-counter';
import { CheckpointStatsTracker } from '../../runtime/checkpoint/checkpoint-stats-tracker';
import { CompletedCheckpointStore } from '../../runtime/checkpoint/completed-checkpoint-store';
import { restoreHandlesFor } from '../../runtime/checkpoint/restore-assignment';
import { CheckpointCorruptError } from '../../runtime/errors';
import { S3BlobStore } from '../../runtime/storage/s3/s3-blob-store';
import { createLogger } from '../../runtime/util/logger';
import type { FauxqsServer } from '../helpers/fauxqs';
import { fauxqsS3Options, startFauxqs } from '../helpers/fauxqs';
import { JOB_GRAPH, ScriptedTaskManagers, TASKS } from '../unit/checkpoint/scripted-task-managers';

let fauxqs: FauxqsServer;
let blobs: S3BlobStore;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  blobs = new S3BlobStore({
    bucket: 'checkpoints-test',
    prefix: 'cluster-a',
    ...fauxqsS3Options(fauxqs.endpoint),
  });
  await blobs.ensureBucket();
});

afterAll(async () => {
  await blobs?.close();
  await fauxqs?.stop();
});

it('checkpoints into S3 (the emulator): upload with SHA-256, _metadata, pruning, verified restore', async () => {
  const logger = createLogger('test');
  const store = new CompletedCheckpointStore(blobs, 'job-s3', 1, logger);
  const taskManagers = new ScriptedTaskManagers(blobs, 'job-s3');
  const coordinator = new CheckpointCoordinator({
    jobId: 'job-s3',
    attempt: 0,
    jobGraph: JOB_GRAPH,
    settings: {
      enabled: true,
      mode: 'exactly-once',
      intervalMs: undefined,
      timeoutMs: 10_000,
      minPauseMs: 0,
      maxConcurrent: 1,
      tolerableFailures: 0,
      retained: 1,
      retention: 'delete-on-cancellation',
    },
    tasks: TASKS,
    taskExecutor: () => taskManagers,
    store,
    blobStore: blobs,
    counter: new InMemoryCheckpointIdCounter(),
    stats: new CheckpointStatsTracker(),
    latestCompletedId: 0,
    onFailure: () => undefined,
    logger,
  });
  taskManagers.coordinator = coordinator;
  try {
    await coordinator.trigger('manual');
    const second = await coordinator.trigger('manual');
    expect(second.externalPath).toBe('s3://checkpoints-test/cluster-a/checkpoints/job-s3/chk-2');
    const dirs = new Set((await blobs.list('checkpoints/job-s3')).map((k) => k.split('/')[2]));
    expect([...dirs]).toEqual(['chk-2']);
    const handles = restoreHandlesFor(second.metadata, JOB_GRAPH, 'src', 1);
    const restored = await taskManagers.transfer.download(handles);
    expect(restored.operators.src!.operator.map((b) => Buffer.from(b).toString())).toEqual([
      'src#0@2',
      'src#1@2',
    ]);
    await blobs.put(handles.operators.src!.operator[0]!.key, 'src#0@1');
    await expect(taskManagers.transfer.download(handles)).rejects.toBeInstanceOf(CheckpointCorruptError);
  } finally {
    await coordinator.stop('test ended');
  }
});
