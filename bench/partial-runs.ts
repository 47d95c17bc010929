/**
 * Runs of one group of scenarios (`npm run bench -- windows`, `-- async-io`): each prints its
 * rows and puts them into bench/results/latest.json, replacing the rows (and ratios) of that
 * group from an earlier run and keeping everything else.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Measurement } from './scenarios/measure';
import { asyncIoBench } from './scenarios/async-io';
import { windowScenarios } from './scenarios/windows';

/** Events of the windowed count: twice the keys, so the one window holds every key twice. */
export const windowRecords = (quick: boolean): number => (quick ? 1_000_000 : 2_000_000);
export const asyncIoCalls = (quick: boolean): number => (quick ? 15_000 : 30_000);

interface LatestFile {
  results?: Measurement[];
  ratios?: Record<string, unknown>;
  [other: string]: unknown;
}

/** Replaces the rows whose scenario starts with `prefix` (and the given ratios) in latest.json. */
export function mergeIntoLatest(
  prefix: string,
  rows: readonly Measurement[],
  ratios: Record<string, unknown> = {},
  dateKey = `${prefix.replace(/\/$/, '').replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())}Date`,
): string {
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'latest.json');
  const latest = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LatestFile) : {};
  const others = (latest.results ?? []).filter((r) => !r.scenario.startsWith(prefix));
  const merged: LatestFile = {
    ...latest,
    results: [...others, ...rows],
    ...(Object.keys(ratios).length > 0 ? { ratios: { ...latest.ratios, ...ratios } } : {}),
    [dateKey]: new Date().toISOString(),
  };
  writeFileSync(file, JSON.stringify(merged, null, 2) + '\n');
  return file;
}

export async function runWindowsBench(quick: boolean): Promise<void> {
  const records = windowRecords(quick);
  console.log(`sluice bench: windows (${quick ? 'quick' : 'full'}), tumbling count of ${records} events`);
  const rows = await windowScenarios(records);
  console.log(`\nwrote the windows rows of ${mergeIntoLatest('windows/', rows)}`);
}

export async function runAsyncIoBench(quick: boolean): Promise<void> {
  const calls = asyncIoCalls(quick);
  console.log(`sluice bench: async-io (${quick ? 'quick' : 'full'}), ${calls} calls per run`);
  const figures = await asyncIoBench(calls);
  for (const m of figures.measurements)
    console.log(`  ${m.scenario}: ${Math.round(m.recordsPerSec).toLocaleString('en')} calls/s (median)`);
  const ratios = {
    mapAsyncVsHandLoop: figures.mapAsyncVsHandLoop,
    mapAsyncOrderedVsHandLoop: figures.mapAsyncOrderedVsHandLoop,
    mapAsyncCpuVsHandLoop: figures.mapAsyncCpuVsHandLoop,
  };
  const [low, high] = figures.mapAsyncVsHandLoopRange;
  const micros = figures.cpuMicrosPerCall;
  console.log(
    `  mapAsyncVsHandLoop ${ratios.mapAsyncVsHandLoop.toFixed(2)}x (rounds ${low.toFixed(2)}-${high.toFixed(2)}), ` +
      `ordered ${ratios.mapAsyncOrderedVsHandLoop.toFixed(2)}x`,
  );
  console.log(
    `  CPU per call: hand loop ${micros.hand.toFixed(0)} µs, mapAsync ${micros.unordered.toFixed(0)} µs, ` +
      `ordered ${micros.ordered.toFixed(0)} µs (mapAsyncCpuVsHandLoop ${ratios.mapAsyncCpuVsHandLoop.toFixed(2)}x); ` +
      `load average ${figures.loadAverage.map((l) => l.toFixed(1)).join(' → ')}`,
  );
  console.log(`\nwrote the async-io rows of ${mergeIntoLatest('async-io/', figures.measurements, ratios)}`);
}
