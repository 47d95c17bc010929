/**
 * Nexmark (issue 12): events per second per core of every query, with exactly-once checkpoints
 * every 10 s, on the heap and kv backends, on one TaskManager (the mini cluster, in this
 * process) and across two (a local cluster of TaskManager processes with one slot each).
 *
 * "Per core" as the Nexmark benchmark defines it: events / (cores × seconds), where cores ×
 * seconds is the CPU time the workers used. The machine is shared, so CPU time (of this process,
 * or of the TaskManager processes from /proc) is what is measured, not wall time × cores.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster } from '../../local/cluster';
import type { JobSettings } from '../../runtime/api/job-settings';
import { RestClient } from '../../runtime/client/rest-client';
import { prepareJob } from '../../runtime/client/prepare-job';
import { submitJob } from '../../runtime/client/submit-job';
import { runJobEmbedded } from '../../runtime/minicluster/mini-cluster';
import { sleep } from '../../runtime/util/wait';
import type { Measurement } from './measure';

export const NEXMARK_QUERIES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q7', 'q8', 'q11'] as const;
export type NexmarkQuery = (typeof NEXMARK_QUERIES)[number];
export type Placement = 'one-taskmanager' | 'two-taskmanagers';

/**
 * Flink 1.13's events/s per core from the Nexmark project's README (github.com/nexmark/nexmark,
 * "Nexmark Benchmark Result"): 100M events per query, 8 TaskManagers of 1 slot and 8 GB,
 * parallelism 8, RocksDB with incremental checkpoints, exactly-once every 3 minutes, on worker
 * machines of 8 cores and 32 GB with SSDs.
 */
export const FLINK_EVENTS_PER_SEC_PER_CORE: Readonly<Record<NexmarkQuery, number>> = {
  q0: 155_020,
  q1: 157_940,
  q2: 175_210,
  q3: 152_120,
  q4: 34_330,
  q5: 22_140,
  q7: 12_330,
  q8: 146_140,
  q11: 39_700,
};

/** Events per run at scale 1: about 1–2 s of CPU per query here. */
const BASE_EVENTS: Readonly<Record<NexmarkQuery, number>> = {
  q0: 400_000,
  q1: 400_000,
  q2: 400_000,
  q3: 300_000,
  q4: 150_000,
  q5: 60_000,
  q7: 100_000,
  q8: 200_000,
  q11: 80_000,
};

export const CHECKPOINT_INTERVAL_MS = 10_000;

export interface NexmarkMeasurement extends Measurement {
  readonly query: NexmarkQuery;
  readonly backend: 'heap' | 'kv';
  readonly placement: Placement;
  /** CPU time of the workers (this process, or the TaskManager processes). */
  readonly cpuSeconds: number;
  readonly eventsPerSecPerCore: number;
  readonly flinkEventsPerSecPerCore: number;
}

export interface NexmarkOptions {
  /** Multiplies the events of every run. */
  readonly scale: number;
  readonly backends: readonly ('heap' | 'kv')[];
  readonly placements: readonly Placement[];
}

const jobPath = (q: NexmarkQuery): string => join(__dirname, '..', '..', 'functions', 'nexmark', `${q}.ts`);

function settingsFor(backend: 'heap' | 'kv', parallelism: number): Partial<JobSettings> {
  return {
    parallelism,
    stateBackend: backend,
    checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
    checkpointingMode: 'exactly-once',
  };
}

export async function nexmarkScenarios(options: NexmarkOptions): Promise<NexmarkMeasurement[]> {
  const results: NexmarkMeasurement[] = [];
  const events = (q: NexmarkQuery): number => Math.max(10_000, Math.round(BASE_EVENTS[q] * options.scale));
  if (options.placements.includes('one-taskmanager')) {
    for (const backend of options.backends) {
      for (const q of NEXMARK_QUERIES) results.push(await oneTaskManager(q, backend, events(q)));
    }
  }
  if (options.placements.includes('two-taskmanagers')) {
    results.push(...(await twoTaskManagers(options.backends, events)));
  }
  return results;
}

function row(
  query: NexmarkQuery,
  backend: 'heap' | 'kv',
  placement: Placement,
  events: number,
  seconds: number,
  cpuSeconds: number,
): NexmarkMeasurement {
  const suffix = placement === 'one-taskmanager' ? '' : `/${placement}`;
  console.log(
    `  nexmark/${query}/${backend}${suffix}: ${events} events, ${seconds.toFixed(1)} s, ` +
      `${cpuSeconds.toFixed(1)} CPU s, ${Math.round(events / cpuSeconds).toLocaleString('en')} events/s per core`,
  );
  return {
    scenario: `nexmark/${query}/${backend}${suffix}`,
    query,
    backend,
    placement,
    records: events,
    seconds,
    recordsPerSec: events / seconds,
    cpuSeconds,
    eventsPerSecPerCore: events / cpuSeconds,
    flinkEventsPerSecPerCore: FLINK_EVENTS_PER_SEC_PER_CORE[query],
  };
}

/** One query on the mini cluster (one TaskManager in this process), parallelism 1. */
async function oneTaskManager(
  q: NexmarkQuery,
  backend: 'heap' | 'kv',
  events: number,
): Promise<NexmarkMeasurement> {
  const { jobGraph, code } = prepareJob(
    jobPath(q),
    { events: String(events), sink: 'discard' },
    settingsFor(backend, 1),
  );
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await runJobEmbedded(jobGraph, code);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const read = Object.entries(result.tasks)
    .filter(([name]) => name.startsWith('nexmark-events'))
    .reduce((sum, [, m]) => sum + m.recordsIn, 0);
  if (read !== events)
    throw new Error(`nexmark ${q} on ${backend}: the source read ${read} events, expected ${events}`);
  return row(q, backend, 'one-taskmanager', events, seconds, (used.user + used.system) / 1e6);
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime) in clock ticks of 1/100 s (Linux's USER_HZ).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Every query at parallelism 2 on a local cluster of two single-slot TaskManagers (the exchange crosses TCP). */
async function twoTaskManagers(
  backends: readonly ('heap' | 'kv')[],
  events: (q: NexmarkQuery) => number,
): Promise<NexmarkMeasurement[]> {
  const rootDir = mkdtempSync(join(tmpdir(), 'sluice-bench-nexmark-'));
  const cluster = await startLocalCluster({ taskManagers: 2, slots: 1, cloud: 'auto', rootDir, restPort: 0 });
  try {
    const client = new RestClient({ url: cluster.restUrl, token: cluster.token });
    const pids = cluster.processes.filter((p) => p.name.startsWith('taskmanager')).map((p) => p.pid);
    const cpu = (): number => pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
    const results: NexmarkMeasurement[] = [];
    for (const backend of backends) {
      for (const q of NEXMARK_QUERIES) {
        const n = events(q);
        const cpuBefore = cpu();
        const started = performance.now();
        const { jobId } = await submitJob(
          client,
          jobPath(q),
          { events: String(n), sink: 'discard' },
          settingsFor(backend, 2),
        );
        for (;;) {
          const job = await client.getJob(jobId);
          if (job.status === 'FINISHED') {
            const read = job.vertices.find((v) => v.name.startsWith('nexmark-events'))?.recordsIn;
            if (read !== n)
              throw new Error(
                `nexmark ${q} on ${backend}, two TaskManagers: the source read ${read} events, expected ${n}`,
              );
            break;
          }
          if (job.status === 'FAILED' || job.status === 'CANCELED')
            throw new Error(
              `nexmark ${q} on ${backend}, two TaskManagers: job ${job.status}: ${job.failure?.message ?? ''}`,
            );
          await sleep(20);
        }
        const seconds = (performance.now() - started) / 1000;
        results.push(row(q, backend, 'two-taskmanagers', n, seconds, cpu() - cpuBefore));
      }
    }
    return results;
  } finally {
    await cluster.stop();
    rmSync(rootDir, { recursive: true, force: true });
  }
}

/** The table beside Flink's figures: one line per query, a column per backend and placement. */
export function printNexmarkTable(rows: readonly NexmarkMeasurement[]): void {
  const columns = [
    ...new Set(rows.map((r) => `${r.backend}${r.placement === 'one-taskmanager' ? ', 1 TM' : ', 2 TMs'}`)),
  ];
  const header = ['query', ...columns.map((c) => `sluice ${c}`), 'flink 1.13', 'best / flink'];
  const k = (n: number): string => `${(n / 1000).toFixed(1)}K`;
  const lines = NEXMARK_QUERIES.filter((q) => rows.some((r) => r.query === q)).map((q) => {
    const mine = rows.filter((r) => r.query === q);
    const cells = columns.map((c) => {
      const r = mine.find(
        (m) => `${m.backend}${m.placement === 'one-taskmanager' ? ', 1 TM' : ', 2 TMs'}` === c,
      );
      return r ? k(r.eventsPerSecPerCore) : '-';
    });
    const best = Math.max(...mine.map((r) => r.eventsPerSecPerCore));
    return [
      q,
      ...cells,
      k(FLINK_EVENTS_PER_SEC_PER_CORE[q]),
      `${(best / FLINK_EVENTS_PER_SEC_PER_CORE[q]).toFixed(2)}x`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log('\nNexmark, events/s per core (CPU time), exactly-once checkpoints every 10 s:');
  console.log(fmt(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
}
