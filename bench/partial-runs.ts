/**
 * Runs of one group of scenarios (`npm run bench -- windows`, `-- async-io`): each prints its
 * rows and puts them into bench/results/latest.json, replacing the rows (and ratios) of that
 * group from an earlier run and keeping everything else.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Measurement } from './scenarios/measure';
import { asyncIoBench } from './scenarios/async-io';
import { windowScenarios } from './scenarios/windows';
import { startLocalCluster } from '../local/cluster';
import { RestClient } from '../runtime/client/rest-client';
import { tcpAgainstHand } from './scenarios/cluster';
import { unchainedAgainstHandThreads } from './scenarios/stateless-pipeline';
import type { RecoveryFigures } from './scenarios/recovery';
import { recoveryScenario } from './scenarios/recovery';

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

/**
 * `npm run bench -- recovery [--runs N]`: the recovery scenario N times (default 3) on fresh
 * clusters, each run's phases with the 1-minute load average before it (the machine is shared),
 * and the medians as `recoverySeconds` / `recoveryToRunningSeconds` in latest.json.
 */
export async function runRecoveryBench(runs: number): Promise<void> {
  console.log(`sluice bench: recovery, ${runs} runs (kill -9 of a TaskManager until records flow again)`);
  const all: RecoveryFigures[] = [];
  for (let i = 0; i < runs; i++) {
    const load = loadavg()[0]!.toFixed(2);
    const r = await recoveryScenario();
    all.push(r);
    console.log(
      `  run ${i + 1} (load ${load}): detected ${r.toDetectedSeconds.toFixed(2)} s, running ${r.toRunningSeconds.toFixed(2)} s, ` +
        `first record ${r.toFirstRecordSeconds.toFixed(2)} s, all sink subtasks ${r.toRecordsSeconds.toFixed(2)} s ` +
        `(restored checkpoint ${r.restoredCheckpoint})`,
    );
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ratios = {
    recoverySeconds: median(all.map((r) => r.toRecordsSeconds)),
    recoveryToRunningSeconds: median(all.map((r) => r.toRunningSeconds)),
  };
  console.log(
    `  median: recoverySeconds ${ratios.recoverySeconds.toFixed(2)}, to running ${ratios.recoveryToRunningSeconds.toFixed(2)}`,
  );
  console.log(`\nwrote the recovery figures of ${mergeIntoLatest('recovery/', [], ratios)}`);
}

/**
 * `npm run bench -- data-plane [--quick]`: the two data-plane yardsticks of issue 12 alone —
 * the unchained stateless pipeline against the hand-written thread pipeline, and the keyed word
 * count across two TaskManagers against the hand-written TCP pipeline (alternating rounds, the
 * median of each) — with the load average, into latest.json as `unchainedVsHandThreads` and
 * `clusterVsHandTcp`.
 */
export async function runDataPlaneBench(quick: boolean): Promise<void> {
  const stateless = quick ? 5_000_000 : 10_000_000;
  const lines = quick ? 500_000 : 2_000_000;
  const load = loadavg()[0]!.toFixed(2);
  console.log(`sluice bench: data plane (${quick ? 'quick' : 'full'}), load average ${load}`);
  const threads = await unchainedAgainstHandThreads(stateless);
  const rootDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const cluster = await startLocalCluster({ taskManagers: 2, slots: 1, cloud: 'auto', rootDir, restPort: 0 });
  let tcp: Measurement[];
  try {
    tcp = await tcpAgainstHand(new RestClient({ url: cluster.restUrl, token: cluster.token }), lines);
  } finally {
    await cluster.stop();
    rmSync(rootDir, { recursive: true, force: true });
  }
  const rows = [...threads, ...tcp];
  const rate = (name: string): number => rows.find((r) => r.scenario === name)!.recordsPerSec;
  const ratios = {
    unchainedVsHandThreads: rate('stateless/sluice-unchained') / rate('stateless/hand-threads'),
    clusterVsHandTcp: rate('cluster/tcp-p2') / rate('cluster/hand-tcp-p2'),
  };
  for (const r of rows)
    console.log(
      `  ${r.scenario.padEnd(26)} ${Math.round(r.recordsPerSec).toLocaleString('en').padStart(11)} records/s` +
        (r.rounds ? ` (median of ${r.rounds.map((x) => x.toLocaleString('en')).join(', ')})` : ''),
    );
  console.log(
    `  unchainedVsHandThreads ${ratios.unchainedVsHandThreads.toFixed(2)}, clusterVsHandTcp ` +
      `${ratios.clusterVsHandTcp.toFixed(2)} (goal >= 0.5 each); load average ${load} → ${loadavg()[0]!.toFixed(2)}`,
  );
  let file = '';
  for (const [i, row] of rows.entries())
    file = mergeIntoLatest(row.scenario, [row], i === 0 ? ratios : {}, 'dataPlaneDate');
  console.log(`\nwrote the data-plane rows and ratios of ${file}`);
}
