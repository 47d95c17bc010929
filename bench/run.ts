/**
 * `npm run bench [-- --quick]`: runs every scenario side by side in one process and one run
 * (the machines are shared and noisy, so compare ratios), prints a table and writes
 * bench/results/latest.json. `npm run bench -- nexmark` runs only the Nexmark scenarios
 * (bench/nexmark.ts); `-- windows` and `-- async-io` only those groups (bench/partial-runs.ts);
 * `npm run bench -- --memory` runs only the bounded-memory scenario; `npm run bench -- ha` runs
 * only the leader failover, at the default lease and at a 4 s one; `-- recovery [--runs N]` only
 * the TaskManager recovery, N times; `-- data-plane` only the two data-plane yardsticks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterScenarios } from './scenarios/cluster';
import { keyedWordCount } from './scenarios/keyed-word-count';
import { sqsExchangeBench } from './scenarios/sqs-exchange';
import type { Measurement } from './scenarios/measure';
import { statelessPipeline } from './scenarios/stateless-pipeline';
import { checkpointScenarios } from './scenarios/checkpoints';
import { recoveryScenario } from './scenarios/recovery';
import type { LargeStateFigures } from './scenarios/large-state';
import { largeStateScenario } from './scenarios/large-state';
import type { SavepointFigures } from './scenarios/savepoints';
import { savepointScenario } from './scenarios/savepoints';
import { runNexmarkBench } from './nexmark';
import { nexmarkScenarios, printNexmarkTable } from './scenarios/nexmark';
import { asyncIoBench } from './scenarios/async-io';
import { windowScenarios } from './scenarios/windows';
import {
  asyncIoCalls,
  runAsyncIoBench,
  runDataPlaneBench,
  runRecoveryBench,
  runWindowsBench,
  windowRecords,
} from './partial-runs';
import { boundedMemoryScenario } from './scenarios/bounded-memory';
import type { HaFailoverFigures } from './scenarios/ha-failover';
import { DEFAULT_LEASE_TIMINGS, haFailoverScenario, scaledLeaseTimings } from './scenarios/ha-failover';
import { formatTimeline } from './scenarios/ha-timeline';

process.env.SLUICE_LOG_LEVEL ??= 'warn';
const quick = process.argv.includes('--quick');
const runsArg = (): number => {
  const at = process.argv.indexOf('--runs');
  return at < 0 ? 3 : Number(process.argv[at + 1]) || 3;
};

async function main(): Promise<void> {
  if (process.argv.includes('nexmark')) return runNexmarkBench(quick);
  if (process.argv.includes('windows')) return runWindowsBench(quick);
  if (process.argv.includes('async-io')) return runAsyncIoBench(quick);
  if (process.argv.includes('--memory')) return boundedMemory();
  if (process.argv.includes('ha')) return haFailoverOnly();
  if (process.argv.includes('recovery')) return runRecoveryBench(runsArg());
  if (process.argv.includes('data-plane')) return runDataPlaneBench(quick);
  const results: Measurement[] = [];
  const stateless = quick ? 5_000_000 : 10_000_000;
  const lines = quick ? 500_000 : 1_000_000;
  console.log(
    `sluice bench (${quick ? 'quick' : 'full'}): stateless ${stateless} bids, word count ${lines * 8} words`,
  );
  results.push(...(await statelessPipeline(stateless)));
  results.push(...(await keyedWordCount(lines)));
  const clusterLines = quick ? 500_000 : 2_000_000;
  console.log(`cluster: word count ${clusterLines * 8} words on a local cluster; Redis baselines`);
  results.push(
    ...(await clusterScenarios(
      clusterLines,
      quick ? 2_500 : 10_000,
      quick ? 50_000 : 200_000,
      quick ? 50_000 : 100_000,
    )),
  );
  console.log('sqs: the SQS exchange against a raw batched SQS loop moving the same bytes');
  results.push(...(await sqsExchangeBench(quick ? 200_000 : 1_000_000)));
  console.log(
    'checkpoints: keyed count with and without checkpoints, heap and kv; 1M keys; recovery; large state',
  );
  const checkpointRecords = quick ? 1_000_000 : 3_000_000;
  const checkpoints = await checkpointScenarios(checkpointRecords, 100_000);
  results.push(...checkpoints.measurements);
  const recovery = await recoveryScenario();
  const largeState = await largeStateScenario(quick ? 2_000_000 : 10_000_000);
  console.log('savepoints: stop-with-savepoint of 1M keys, resume at the same and at twice the parallelism');
  const savepoints = await savepointScenario(quick ? 200_000 : 1_000_000);
  console.log(
    'nexmark: every query, heap and kv, one TaskManager and two (`npm run bench -- nexmark` for more events)',
  );
  const nexmark = await nexmarkScenarios({
    scale: quick ? 0.2 : 0.4,
    backends: ['heap', 'kv'],
    placements: ['one-taskmanager', 'two-taskmanagers'],
  });
  results.push(...nexmark);
  console.log('windows: tumbling-window count per key, 1M keys rotating, heap and kv');
  results.push(...(await windowScenarios(windowRecords(quick))));
  console.log('async-io: mapAsync at capacity 100 against a Promise.all loop, same calls to a local service');
  const asyncIo = await asyncIoBench(asyncIoCalls(quick));
  results.push(...asyncIo.measurements);
  console.log('ha: kill -9 of the leader job manager mid-job, until the standby runs it again');
  const haFailover = await haFailoverScenario(DEFAULT_LEASE_TIMINGS);
  const rate = (name: string): number => results.find((r) => r.scenario === name)?.recordsPerSec ?? NaN;
  const chained = rate('stateless/sluice-chained');
  const ratios = {
    chainedVsHandLoop: chained / rate('stateless/hand-loop'),
    chainedVsUnchained: chained / rate('stateless/sluice-unchained'),
    chainedVsNodeStreams: chained / rate('stateless/node-streams'),
    unchainedVsHandThreads: rate('stateless/sluice-unchained') / rate('stateless/hand-threads'),
    clusterVsHandTcp: rate('cluster/tcp-p2') / rate('cluster/hand-tcp-p2'),
    cpuHeavyP2VsP1: rate('scaling/cpu-heavy-p2') / rate('scaling/cpu-heavy-p1'),
    wordCountChainedVsHandLoop: rate('word-count/sluice-chained') / rate('word-count/hand-loop'),
    wordCountChainedVsUnchained: rate('word-count/sluice-chained') / rate('word-count/sluice-unchained'),
    wordCountChainedVsNodeStreams: rate('word-count/sluice-chained') / rate('word-count/node-streams'),
    tcpRecordsPerSec: rate('cluster/tcp-p2'),
    clusterVsRedisStreams: rate('cluster/tcp-p2') / rate('cluster/redis-streams'),
    clusterVsBullmq: rate('cluster/tcp-p2') / rate('cluster/bullmq'),
    p2VsP1: rate('cluster/tcp-p2') / rate('cluster/one-taskmanager-p1'),
    sqsRecordsPerSec: rate('cluster/sqs-p2'),
    sqsVsTcp: rate('cluster/sqs-p2') / rate('cluster/tcp-p2-same-input-as-sqs'),
    sqsVsRawSqs: rate('sqs-exchange/sluice') / rate('sqs-exchange/raw-sqs-batch'),
    checkpointOverhead:
      rate('checkpoints/keyed-count-heap-every-1s') / rate('checkpoints/keyed-count-heap-none'),
    checkpointOverheadKv:
      rate('checkpoints/keyed-count-kv-every-1s') / rate('checkpoints/keyed-count-kv-none'),
    kvVsHeap: rate('checkpoints/keyed-count-kv-none') / rate('checkpoints/keyed-count-heap-none'),
    recoverySeconds: recovery.toRecordsSeconds,
    recoveryToRunningSeconds: recovery.toRunningSeconds,
    rescaleRestoreSeconds: savepoints.rescaleRestoreSeconds,
    mapAsyncVsHandLoop: asyncIo.mapAsyncVsHandLoop,
    mapAsyncOrderedVsHandLoop: asyncIo.mapAsyncOrderedVsHandLoop,
    mapAsyncCpuVsHandLoop: asyncIo.mapAsyncCpuVsHandLoop,
    haFailoverSeconds: haFailover.haFailoverSeconds,
  };
  const figures = {
    oneMillionKeyCheckpoint: checkpoints.oneMillionKeys,
    recovery,
    largeState,
    savepoints,
    haFailover,
  };
  printTable(results, ratios);
  printFigures(figures);
  printNexmarkTable(nexmark);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'latest.json');
  writeFileSync(
    file,
    JSON.stringify({ quick, date: new Date().toISOString(), results, ratios, figures }, null, 2) + '\n',
  );
  console.log(`\nwrote ${file}`);
}

function printFigures(figures: {
  oneMillionKeyCheckpoint: Record<string, { durationMs: number; bytes: number }>;
  largeState: LargeStateFigures;
  savepoints: SavepointFigures;
  haFailover: HaFailoverFigures;
}): void {
  console.log('');
  for (const [backend, c] of Object.entries(figures.oneMillionKeyCheckpoint)) {
    console.log(
      `checkpoint of 1M keys on ${backend.padEnd(4)}   ${c.durationMs} ms, ${(c.bytes / 1024 / 1024).toFixed(1)} MiB`,
    );
  }
  const l = figures.largeState;
  console.log(
    `${l.keys.toLocaleString('en')} keys, 512 MB slot heap: kv finished in ${l.kvSeconds.toFixed(1)} s, ` +
      `TaskManager peak RSS ${Math.round(l.kvPeakRssMb)} MB (anonymous ${Math.round(l.kvPeakAnonMb)} MB, ` +
      `file-backed ${Math.round(l.kvPeakFileMb)} MB: LMDB's map); heap: ${l.heapOutcome}`,
  );
  const sp = figures.savepoints;
  console.log(
    `savepoint of ${sp.keys.toLocaleString('en')} keys: ${sp.durationMs} ms, ${(sp.bytes / 1024 / 1024).toFixed(1)} MiB; ` +
      `restore ${sp.restoreSeconds.toFixed(2)} s at the same parallelism, ${sp.rescaleRestoreSeconds.toFixed(2)} s at twice it`,
  );
  printHaFailover(figures.haFailover);
}

function printHaFailover(ha: HaFailoverFigures): void {
  console.log(
    `leader failover (lease TTL ${ha.leaseTtlSeconds} s, goal <= TTL + 2 s): standby elected after ` +
      `${ha.electedSeconds.toFixed(2)} s, records flowing after ${ha.haFailoverSeconds.toFixed(2)} s`,
  );
  console.log(formatTimeline(ha.timeline));
}

/** `npm run bench -- ha`: the failover alone, at the default lease and at a 4 s lease. */
async function haFailoverOnly(): Promise<void> {
  const runs: HaFailoverFigures[] = [];
  for (const timings of [DEFAULT_LEASE_TIMINGS, scaledLeaseTimings(4_000)]) {
    console.log(`ha: kill -9 of the leader, lease ${timings.leaseDuration / 1000} s`);
    runs.push(await haFailoverScenario(timings));
  }
  console.log('');
  for (const ha of runs) printHaFailover(ha);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'ha-failover.json');
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), runs }, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}

function printTable(results: Measurement[], ratios: Record<string, number>): void {
  const rows = results.map((r) => [
    r.scenario,
    r.records.toLocaleString('en'),
    r.seconds.toFixed(2),
    Math.round(r.recordsPerSec).toLocaleString('en'),
  ]);
  const header = ['scenario', 'records', 'seconds', 'records/s'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log('');
  for (const [name, value] of Object.entries(ratios)) {
    console.log(`${name.padEnd(32)} ${formatRatio(name, value)}`);
  }
}

/** `--memory`: only the bounded-memory run (a minute), written to bench/results/bounded-memory.json. */
async function boundedMemory(): Promise<void> {
  const arg = process.argv.find((a) => a.startsWith('--memory-seconds='));
  const seconds = arg ? Number(arg.slice('--memory-seconds='.length)) : 60;
  if (!(seconds >= 6)) throw new Error(`--memory-seconds needs a number of seconds >= 6, got ${arg}`);
  console.log(`bounded memory: a sink 100x slower than its source, across two TaskManagers, ${seconds} s`);
  const figures = await boundedMemoryScenario(seconds);
  console.log(JSON.stringify(figures, null, 2));
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'bounded-memory.json'),
    JSON.stringify({ date: new Date().toISOString(), ...figures }, null, 2) + '\n',
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

function formatRatio(name: string, value: number): string {
  if (name.endsWith('PerSec')) return Math.round(value).toLocaleString('en');
  if (name.endsWith('Seconds')) return `${value.toFixed(2)} s`;
  return `${value.toFixed(2)}x`;
}
