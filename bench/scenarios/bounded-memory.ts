/**
 * Bounded memory (issue 12 item 4; `npm run bench -- --memory`, not in the default run: it
 * takes a minute): bids from a fast source into a sink 100 times slower per record, the sink in
 * another TaskManager (records cross TCP), for `seconds`. Credit-based flow control bounds what
 * is in flight per channel, so the source is back-pressured and neither TaskManager's memory
 * grows. Reported, not asserted: the anonymous resident memory (heaps of every thread, network
 * buffers) of each TaskManager process per interval, and the source's back pressure.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bidAt } from '../../functions/nexmark/bid-generator';
import { startLocalCluster } from '../../local/cluster';
import { RestClient } from '../../runtime/client/rest-client';
import { submitJob } from '../../runtime/client/submit-job';
import { sleep } from '../../runtime/util/wait';
import { BENCH_JOBS } from './measure';

export interface BoundedMemoryFigures {
  readonly seconds: number;
  readonly slowdown: number;
  /** Records the slow sink took in the run. */
  readonly sinkRecords: number;
  /** The source vertex's back pressure when the run ended (Flink's level and ratio). */
  readonly sourceBackPressure: string;
  /** Per TaskManager: peak anonymous RSS (MB) of each interval, in order. */
  readonly rssAnonMbByInterval: Record<string, number[]>;
  /** Per TaskManager: peak RSS (VmHWM, MB) over the whole run, start-up included. */
  readonly peakRssMb: Record<string, number>;
}

function statusMb(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
}

/** Microseconds the source spends making one bid, measured here (the sink burns `slowdown` times that). */
function sourceMicrosPerRecord(): number {
  const n = 200_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) bidAt(i);
  return Math.max(0.2, ((performance.now() - started) * 1000) / n);
}

export async function boundedMemoryScenario(seconds = 60, slowdown = 100): Promise<BoundedMemoryFigures> {
  const rootDir = mkdtempSync(join(tmpdir(), 'sluice-bench-memory-'));
  const cluster = await startLocalCluster({
    taskManagers: 2,
    slots: 1,
    cloud: 'embedded',
    rootDir,
    restPort: 0,
  });
  try {
    const client = new RestClient({ url: cluster.restUrl, token: cluster.token });
    const sourceUs = sourceMicrosPerRecord();
    const args = { sourceUs: sourceUs.toFixed(3), slowdown: String(slowdown) };
    const { jobId } = await submitJob(client, join(BENCH_JOBS, 'slow-sink.ts'), args, { parallelism: 1 });
    const tms = cluster.processes.filter((p) => p.name.startsWith('taskmanager'));
    const intervals = 6;
    const rss: Record<string, number[]> = Object.fromEntries(tms.map((tm) => [tm.name, []]));
    const end = performance.now() + seconds * 1000;
    for (let i = 0; i < intervals; i++) {
      const until = Math.min(end, performance.now() + (seconds * 1000) / intervals);
      const peaks = tms.map(() => 0);
      while (performance.now() < until) {
        tms.forEach((tm, t) => (peaks[t] = Math.max(peaks[t]!, statusMb(tm.pid, 'RssAnon'))));
        await sleep(250);
      }
      tms.forEach((tm, t) => rss[tm.name]!.push(Math.round(peaks[t]!)));
    }
    const job = await client.getJob(jobId);
    if (job.status !== 'RUNNING')
      throw new Error(`bounded memory: job ${job.status}: ${job.failure?.message ?? ''}`);
    const source = job.vertices.find((v) => v.name.startsWith('bids'))!;
    const sink = job.vertices.find((v) => v.name.includes('slow-sink'))!;
    const figures = {
      seconds,
      slowdown,
      sinkRecords: sink.recordsIn,
      sourceBackPressure: `${source.backPressure.level} (${Math.round(source.backPressure.ratio * 100)}%)`,
      rssAnonMbByInterval: rss,
      peakRssMb: Object.fromEntries(tms.map((tm) => [tm.name, Math.round(statusMb(tm.pid, 'VmHWM'))])),
    };
    await client.cancelJob(jobId);
    return figures;
  } finally {
    await cluster.stop();
    rmSync(rootDir, { recursive: true, force: true });
  }
}
