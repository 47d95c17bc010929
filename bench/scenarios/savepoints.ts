/**
 * Savepoints (issue 9), on a MiniCluster with a filesystem store: the keyed count holds `keys`
 * distinct keys when a stop-with-savepoint (no drain) is taken — its duration and size are
 * reported — then the job is resumed from that savepoint at the same parallelism and at twice
 * it (key groups redistributed), timing submission → every task RUNNING from the savepoint
 * (`restoreSeconds`, `rescaleRestoreSeconds`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareJob } from '../../runtime/client/prepare-job';
import { savepointRestorePoint } from '../../runtime/checkpoint/state-mapping';
import { savepointTargetDir } from '../../runtime/checkpoint/savepoint-store';
import { MiniCluster } from '../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../runtime/storage/fs/fs-blob-store';
import { TERMINAL_JOB_STATUSES } from '../../runtime/jobmanager/gateway';
import { waitFor } from '../../runtime/util/wait';
import { BENCH_JOBS } from './measure';

export interface SavepointFigures {
  readonly keys: number;
  readonly durationMs: number;
  readonly bytes: number;
  readonly restoreSeconds: number;
  readonly rescaleRestoreSeconds: number;
}

const PARALLELISM = 1;

export async function savepointScenario(keys: number): Promise<SavepointFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-savepoints-'));
  const cluster = new MiniCluster({
    slotsPerTaskManager: 2 * PARALLELISM,
    blobStore: new FsBlobStore({ dir }),
  });
  await cluster.start();
  // Three rounds over every key, paced (1 ms per 100 records) so the job still runs once each
  // key has a count; checkpointing on (a savepoint needs it) without periodic checkpoints.
  const args = { records: String(3 * keys), keys: String(keys), interval: '3600000', paceEvery: '100' };
  const job = (parallelism: number) =>
    prepareJob(join(BENCH_JOBS, 'keyed-count.ts'), args, { parallelism, maxParallelism: 128 });
  try {
    const { jobGraph, code } = job(PARALLELISM);
    const first = cluster.submitJob(jobGraph, code);
    const counted = (): number =>
      first
        .details()
        .vertices.find((v) => v.name.startsWith('counts'))
        ?.subtasks.reduce((n, s) => n + s.recordsIn, 0) ?? 0;
    await waitFor(() => counted() >= keys || TERMINAL_JOB_STATUSES.has(first.status), {
      timeoutMs: 600_000,
      intervalMs: 100,
    });
    if (first.status !== 'RUNNING')
      throw new Error(`savepoint bench: the job is ${first.status} before every key was counted`);
    const target = savepointTargetDir(cluster.blobStore, 'savepoints', first.jobId);
    const savepoint = await first.checkpointRequests.stopWithSavepoint(target, 'no-drain');
    const stats = first.checkpointStats().history.find((h) => h.id === savepoint.checkpointId);
    if (!stats) throw new Error(`savepoint bench: no statistics for savepoint ${savepoint.checkpointId}`);
    const restoreAt = async (parallelism: number): Promise<number> => {
      const next = job(parallelism);
      const restore = await savepointRestorePoint(
        cluster.blobStore,
        savepoint.externalPath,
        next.jobGraph,
        false,
        cluster.logger,
      );
      const started = performance.now();
      const resumed = cluster.submitJob(next.jobGraph, next.code, restore);
      await waitFor(
        () =>
          resumed.details().vertices.every((v) => v.subtasks.every((s) => s.state === 'RUNNING')) ||
          TERMINAL_JOB_STATUSES.has(resumed.status),
        { timeoutMs: 600_000, intervalMs: 20 },
      );
      const seconds = (performance.now() - started) / 1000;
      if (resumed.status !== 'RUNNING')
        throw new Error(`savepoint bench: the resumed job is ${resumed.status}`);
      resumed.cancel();
      await resumed.whenTerminal();
      return seconds;
    };
    return {
      keys,
      durationMs: stats.durationMs,
      bytes: stats.stateSize,
      restoreSeconds: await restoreAt(PARALLELISM),
      rescaleRestoreSeconds: await restoreAt(2 * PARALLELISM),
    };
  } finally {
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
