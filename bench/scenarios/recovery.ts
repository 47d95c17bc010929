/**
 * recoverySeconds (issue 8): a checkpointing keyed count on a local cluster (job manager and
 * two TaskManagers as processes); after a checkpoint completed, kill -9 of a TaskManager that
 * runs its tasks, then the time until (a) every task of the next attempt is RUNNING from the
 * restored checkpoint and (b) the counts operator reports records again (task metrics come
 * every second, so (b) is up to a second late). Flink's default failure detection alone is 50 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster } from '../../local/cluster';
import { RestClient } from '../../runtime/client/rest-client';
import { submitJob } from '../../runtime/client/submit-job';
import { sleep } from '../../runtime/util/wait';
import { BENCH_JOBS } from './measure';

export interface RecoveryFigures {
  readonly toRunningSeconds: number;
  readonly toRecordsSeconds: number;
  readonly restoredCheckpoint: number | undefined;
}

export async function recoveryScenario(): Promise<RecoveryFigures> {
  const rootDir = mkdtempSync(join(tmpdir(), 'sluice-bench-recovery-'));
  const cluster = await startLocalCluster({ taskManagers: 2, slots: 2, cloud: 'auto', rootDir, restPort: 0 });
  try {
    const client = new RestClient({ url: cluster.restUrl, token: cluster.token });
    const args = { records: '4000000', keys: '10000', interval: '500', paceEvery: '200' };
    const { jobId } = await submitJob(client, join(BENCH_JOBS, 'keyed-count.ts'), args, { parallelism: 2 });
    let job = await client.getJob(jobId);
    for (;;) {
      job = await client.getJob(jobId);
      const running = job.vertices.every((v) => v.subtasks.every((s) => s.state === 'RUNNING'));
      if (running && (await client.checkpointStats(jobId)).counts.completed > 0) break;
      if (job.status === 'FAILED' || job.status === 'FINISHED')
        throw new Error(`recovery bench: job ${job.status} too early`);
      await sleep(50);
    }
    const victimId = job.vertices.flatMap((v) => v.subtasks.map((s) => s.taskManagerId)).find(Boolean)!;
    const victim = cluster.processes.find((p) => p.name === victimId);
    if (!victim) throw new Error(`no local process is TaskManager ${victimId}`);
    const attempt = job.attempt;
    const killedAt = performance.now();
    process.kill(victim.pid, 'SIGKILL');
    let toRunning: number | undefined;
    for (;;) {
      job = await client.getJob(jobId);
      if (job.status === 'FAILED' || job.status === 'CANCELED')
        throw new Error(`recovery bench: job ${job.status}`);
      if (job.attempt > attempt) {
        const subtasks = job.vertices.flatMap((v) => v.subtasks);
        if (toRunning === undefined && subtasks.every((s) => s.state === 'RUNNING'))
          toRunning = (performance.now() - killedAt) / 1000;
        const counts = job.vertices.find((v) => v.name.startsWith('counts'));
        if (toRunning !== undefined && counts && counts.recordsIn > 0) break;
      }
      await sleep(20);
    }
    const toRecords = (performance.now() - killedAt) / 1000;
    const stats = await client.checkpointStats(jobId);
    await client.cancelJob(jobId);
    return {
      toRunningSeconds: toRunning,
      toRecordsSeconds: toRecords,
      restoredCheckpoint: stats.latest.restored?.id,
    };
  } finally {
    await cluster.stop();
    rmSync(rootDir, { recursive: true, force: true });
  }
}
