/**
 * Large state (issue 8): 10M distinct keys on a local cluster whose TaskManager gives its one
 * slot a 512 MB heap. On kv the job finishes (state lives in LMDB, off the heap; the peak RSS
 * of the TaskManager process is reported); on heap it fails with the out-of-memory message
 * naming the slot's heap, not a hang.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNameForKey } from '../../runtime/config';
import { startLocalCluster } from '../../local/cluster';
import { RestClient } from '../../runtime/client/rest-client';
import { submitJob } from '../../runtime/client/submit-job';
import { sleep } from '../../runtime/util/wait';
import { BENCH_JOBS } from './measure';

export interface LargeStateFigures {
  readonly keys: number;
  readonly kvSeconds: number;
  readonly kvPeakRssMb: number;
  readonly heapOutcome: string;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export async function largeStateScenario(keys: number): Promise<LargeStateFigures> {
  const rootDir = mkdtempSync(join(tmpdir(), 'sluice-bench-state-'));
  const env = { ...process.env, [envNameForKey('taskmanager.memory.heap.size')]: '512m' };
  const cluster = await startLocalCluster({
    taskManagers: 1,
    slots: 1,
    cloud: 'auto',
    rootDir,
    restPort: 0,
    env,
  });
  try {
    const client = new RestClient({ url: cluster.restUrl, token: cluster.token });
    const run = async (backend: 'kv' | 'heap') => {
      const args = { records: String(keys), keys: String(keys), backend };
      const started = performance.now();
      const { jobId } = await submitJob(client, join(BENCH_JOBS, 'keyed-count.ts'), args, {
        parallelism: 1,
        restartStrategy: { 'restart-strategy.type': 'none' },
      });
      for (;;) {
        const job = await client.getJob(jobId);
        if (job.status === 'FINISHED' || job.status === 'FAILED' || job.status === 'CANCELED')
          return { job, seconds: (performance.now() - started) / 1000 };
        await sleep(200);
      }
    };
    const kv = await run('kv');
    if (kv.job.status !== 'FINISHED')
      throw new Error(`kv with ${keys} keys: ${kv.job.status}: ${kv.job.failure?.message}`);
    const tm = cluster.processes.find((p) => p.name.startsWith('taskmanager'))!;
    const kvPeakRssMb = peakRssMb(tm.pid);
    const heap = await run('heap');
    const heapOutcome =
      heap.job.status === 'FAILED' ? (heap.job.failure?.message ?? 'FAILED') : heap.job.status;
    return { keys, kvSeconds: kv.seconds, kvPeakRssMb, heapOutcome };
  } finally {
    await cluster.stop();
    rmSync(rootDir, { recursive: true, force: true });
  }
}
