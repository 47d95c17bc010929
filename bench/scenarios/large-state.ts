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
  /** Peak resident memory of the TaskManager process (VmHWM): anonymous and file-backed together. */
  readonly kvPeakRssMb: number;
  /** Peak anonymous resident memory (heaps, the kv cache, buffers), sampled every 250 ms. */
  readonly kvPeakAnonMb: number;
  /** Peak file-backed resident memory (mostly LMDB's memory map), sampled every 250 ms. */
  readonly kvPeakFileMb: number;
  readonly heapOutcome: string;
}

/** A `/proc/<pid>/status` field in MB (Linux). */
function statusMb(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
}

/**
 * Samples a process's resident memory, split into anonymous memory (heaps, caches: what the
 * slot heap bounds) and file-backed pages (LMDB's memory map, which the kernel can drop).
 */
function sampleMemory(pid: number): { stop(): { peakAnonMb: number; peakFileMb: number } } {
  let peakAnonMb = 0;
  let peakFileMb = 0;
  const sample = (): void => {
    try {
      peakAnonMb = Math.max(peakAnonMb, statusMb(pid, 'RssAnon'));
      peakFileMb = Math.max(peakFileMb, statusMb(pid, 'RssFile'));
    } catch {
      // the process is gone: keep the peaks seen
    }
  };
  const timer = setInterval(sample, 250);
  return {
    stop: () => {
      sample();
      clearInterval(timer);
      return { peakAnonMb, peakFileMb };
    },
  };
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
    const tm = cluster.processes.find((p) => p.name.startsWith('taskmanager'))!;
    const memory = sampleMemory(tm.pid);
    const kv = await run('kv');
    const { peakAnonMb, peakFileMb } = memory.stop();
    if (kv.job.status !== 'FINISHED')
      throw new Error(`kv with ${keys} keys: ${kv.job.status}: ${kv.job.failure?.message}`);
    const kvPeakRssMb = statusMb(tm.pid, 'VmHWM');
    const heap = await run('heap');
    const heapOutcome =
      heap.job.status === 'FAILED' ? (heap.job.failure?.message ?? 'FAILED') : heap.job.status;
    return {
      keys,
      kvSeconds: kv.seconds,
      kvPeakRssMb,
      kvPeakAnonMb: peakAnonMb,
      kvPeakFileMb: peakFileMb,
      heapOutcome,
    };
  } finally {
    await cluster.stop();
    rmSync(rootDir, { recursive: true, force: true });
  }
}
