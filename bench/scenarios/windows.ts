/**
 * Windows (issue 11's benchmark): a tumbling event-time window count per key over 1M rotating
 * keys, on the heap and kv backends, in events/s per core (events / CPU seconds of this
 * process, which runs the job on the mini cluster), as the Nexmark rows are measured.
 */
import { join } from 'node:path';
import { prepareJob } from '../../runtime/client/prepare-job';
import { runJobEmbedded } from '../../runtime/minicluster/mini-cluster';
import type { Measurement } from './measure';
import { BENCH_JOBS } from './measure';

export interface WindowMeasurement extends Measurement {
  readonly backend: 'heap' | 'kv';
  readonly cpuSeconds: number;
  readonly eventsPerSecPerCore: number;
}

export const WINDOW_KEYS = 1_000_000;

export async function windowScenarios(
  records: number,
  backends: readonly ('heap' | 'kv')[] = ['heap', 'kv'],
): Promise<WindowMeasurement[]> {
  const rows: WindowMeasurement[] = [];
  for (const backend of backends) rows.push(await tumblingCount(records, backend));
  return rows;
}

async function tumblingCount(records: number, backend: 'heap' | 'kv'): Promise<WindowMeasurement> {
  const scenario = `windows/tumbling-count/${backend}`;
  const { jobGraph, code } = prepareJob(
    join(BENCH_JOBS, 'tumbling-count.ts'),
    { records: String(records), keys: String(WINDOW_KEYS), backend },
    { parallelism: 1 },
  );
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await runJobEmbedded(jobGraph, code);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const counted = (result.results as number[]).reduce((a, b) => a + b, 0);
  if (counted !== records)
    throw new Error(`${scenario}: the windows counted ${counted} events, expected ${records}`);
  console.log(
    `  ${scenario}: ${records} events, ${seconds.toFixed(1)} s, ${cpuSeconds.toFixed(1)} CPU s, ` +
      `${Math.round(records / cpuSeconds).toLocaleString('en')} events/s per core`,
  );
  return {
    scenario,
    backend,
    records,
    seconds,
    recordsPerSec: records / seconds,
    cpuSeconds,
    eventsPerSecPerCore: records / cpuSeconds,
  };
}
