import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import { InMemoryCheckpointIdCounter } from '../../../runtime/checkpoint/checkpoint-id-counter';
import { checkpointSettingsFor } from '../../../runtime/checkpoint/checkpoint-settings';
import type { CheckpointSettings } from '../../../runtime/checkpoint/checkpoint-settings';
import { metadataKey } from '../../../runtime/checkpoint/checkpoint-storage-layout';
import { jobSettingsFromConfig } from '../../../runtime/client/job-config';
import { defaultConfig, loadConfig } from '../../../runtime/config';
import { InvalidJobError } from '../../../runtime/errors';
import { jobSettingsSchema } from '../../../runtime/graph/job-graph-schema';
import { JobCheckpoints } from '../../../runtime/jobmanager/job-checkpoints';
import { restartStrategyForJob } from '../../../runtime/jobmanager/restart-strategy';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { createLogger } from '../../../runtime/util/logger';
import { JOB_GRAPH, ScriptedTaskManagers, TASKS } from './scripted-task-managers';

const base = mkdtempSync(join(tmpdir(), 'sluice-job-ckpt-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

const DEFINES = [
  'execution.checkpointing.interval=5 s',
  'execution.checkpointing.mode=at-least-once',
  'execution.checkpointing.timeout=1 min',
  'execution.checkpointing.min-pause=200 ms',
  'execution.checkpointing.max-concurrent-checkpoints=3',
  'execution.checkpointing.tolerable-failed-checkpoints=4',
  'execution.checkpointing.externalized-checkpoint-retention=retain-on-cancellation',
  'state.checkpoints.num-retained=5',
];

describe('checkpointing settings of a job', () => {
  it('every execution.checkpointing.* / state.checkpoints.* key is settable per job with -D', () => {
    const job = jobSettingsFromConfig({ define: DEFINES });
    expect(jobSettingsSchema.partial().parse(job)).toEqual(job);
    expect(checkpointSettingsFor(defaultConfig(), job)).toEqual({
      enabled: true,
      intervalMs: 5000,
      mode: 'at-least-once',
      timeoutMs: 60_000,
      minPauseMs: 200,
      maxConcurrent: 3,
      tolerableFailures: 4,
      retention: 'retain-on-cancellation',
      retained: 5,
    } satisfies CheckpointSettings);
  });

  it("the cluster's config gives the defaults; a job's own settings win", () => {
    const overrides = Object.fromEntries(DEFINES.map((d) => d.split('=') as [string, string]));
    const cluster = loadConfig({ overrides, env: {} });
    expect(checkpointSettingsFor(cluster, {})).toMatchObject({
      enabled: true,
      intervalMs: 5000,
      retained: 5,
    });
    expect(
      checkpointSettingsFor(cluster, { checkpointIntervalMs: 100, retainedCheckpoints: 2 }),
    ).toMatchObject({
      intervalMs: 100,
      retained: 2,
      maxConcurrent: 3,
    });
    expect(checkpointSettingsFor(defaultConfig(), {})).toMatchObject({
      enabled: false,
      mode: 'exactly-once',
    });
  });

  it('env.enableCheckpointing(interval, mode) turns checkpointing on', () => {
    const env = new StreamExecutionEnvironment();
    env.enableCheckpointing(250, 'at-least-once');
    expect(checkpointSettingsFor(defaultConfig(), env.getSettings())).toMatchObject({
      enabled: true,
      intervalMs: 250,
      mode: 'at-least-once',
    });
    expect(() => env.enableCheckpointing(0)).toThrow(InvalidJobError);
    expect(() => env.enableCheckpointing(10, 'twice' as 'exactly-once')).toThrow(
      /not exactly-once or at-least-once/,
    );
  });

  it('with checkpointing and no restart strategy configured, restarts without limit (fixed delay)', () => {
    const unlimited = restartStrategyForJob(defaultConfig(), {}, true);
    for (let i = 0; i < 1000; i++) expect(unlimited.onFailure(i)).toBe(1000);
    const fixedThree = restartStrategyForJob(defaultConfig(), {}, false);
    expect([1, 2, 3, 4].map((t) => fixedThree.onFailure(t))).toEqual([1000, 1000, 1000, undefined]);
    const none = restartStrategyForJob(
      defaultConfig(),
      { restartStrategy: { 'restart-strategy.type': 'none' } },
      true,
    );
    expect(none.onFailure(0)).toBeUndefined();
    const cluster = loadConfig({ overrides: { 'restart-strategy.type': 'fixed-delay' }, env: {} });
    expect(restartStrategyForJob(cluster, {}, true).description).toMatch(/3 attempts/);
  });
});

describe('JobCheckpoints', () => {
  const settings: CheckpointSettings = {
    ...checkpointSettingsFor(defaultConfig(), { checkpointIntervalMs: 1000 }),
  };

  async function withCompleted(overrides: Partial<CheckpointSettings> = {}) {
    const jobId = `job${++n}`;
    const blobs = new FsBlobStore({ dir: join(base, jobId) });
    const checkpoints = new JobCheckpoints({
      jobId,
      jobGraph: JOB_GRAPH,
      settings: { ...settings, ...overrides },
      blobStore: blobs,
      counter: new InMemoryCheckpointIdCounter(),
      stateBackend: 'heap',
      logger: createLogger('test'),
    });
    const taskManagers = new ScriptedTaskManagers(blobs, jobId);
    await checkpoints.prepareAttempt(0, undefined, () => undefined);
    await checkpoints.startCoordinator(
      0,
      TASKS,
      () => taskManagers,
      () => undefined,
    );
    taskManagers.coordinator = checkpoints;
    await checkpoints.triggerManual();
    return { jobId, blobs, checkpoints };
  }

  it.each([
    ['CANCELED', 'delete-on-cancellation', 0],
    ['FINISHED', 'delete-on-cancellation', 0],
    ['FAILED', 'delete-on-cancellation', 1],
    ['CANCELED', 'retain-on-cancellation', 1],
    ['FINISHED', 'retain-on-cancellation', 1],
  ] as const)(
    'execution.checkpointing.externalized-checkpoint-retention: %s with %s keeps %d checkpoints',
    async (status, retention, kept) => {
      const { jobId, blobs, checkpoints } = await withCompleted({ retention });
      await checkpoints.onJobEnded(status);
      const metadata = (await blobs.list(`checkpoints/${jobId}`)).filter((k) => k.endsWith('_metadata'));
      expect(metadata).toHaveLength(kept);
    },
  );

  it('execution.checkpointing.mode reaches every task descriptor, with its key group ranges; restore handles follow', async () => {
    const { jobId, checkpoints } = await withCompleted({ mode: 'at-least-once' });
    await checkpoints.stopCoordinator('next attempt');
    const restored = await checkpoints.prepareAttempt(1, undefined, () => undefined);
    expect(restored!.metadataKey).toBe(metadataKey(jobId, 1));
    const tdd = checkpoints.forSubtask('my counter/✓', 1);
    expect(tdd.checkpointing).toEqual({
      mode: 'at-least-once',
      keyGroupRanges: { 'my counter/✓': { start: 64, end: 127 } },
    });
    expect(tdd.restore!.checkpointId).toBe(1);
    expect(tdd.restore!.operators['my counter/✓']!.keyed.map((h) => h.keyGroupRange)).toEqual([
      { start: 64, end: 127 },
    ]);
    expect(checkpoints.checkpointConfig()).toMatchObject({
      enabled: true,
      mode: 'at-least-once',
      intervalMs: 1000,
      checkpointStorage: expect.stringContaining(`checkpoints/${jobId}`),
    });
    // A corrupt state object reported by a TaskManager makes the checkpoint unusable.
    expect(checkpoints.markRestoredUnusable()).toBe(1);
    expect(await checkpoints.prepareAttempt(2, undefined, () => undefined)).toBeUndefined();
    expect(checkpoints.forSubtask('src', 0).restore).toBeUndefined();
  });
});
