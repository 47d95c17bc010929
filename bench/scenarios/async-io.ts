import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { startAsyncService } from '../../test/helpers/async-service';
import { prepareJob } from '../../runtime/client/prepare-job';
import { runJobEmbedded } from '../../runtime/minicluster/mini-cluster';
import type { Measurement } from './measure';
import { BENCH_JOBS, expectCount } from './measure';

const CAPACITY = 100;
/** Each answer of the service takes 0..2 ms: the calls overlap, CPU per call dominates. */
const LATENCY_MS = '0,2';

/** The async-io rows, and the ratios taken round by round (each round runs every variant once). */
export interface AsyncIoFigures {
  readonly measurements: Measurement[];
  /** Median over rounds of (unordered mapAsync / hand loop) in the same round. */
  readonly mapAsyncVsHandLoop: number;
  /** Median over rounds of (ordered mapAsync / hand loop) in the same round. */
  readonly mapAsyncOrderedVsHandLoop: number;
  /** The lowest and highest per-round ratio of unordered mapAsync: how noisy the run was. */
  readonly mapAsyncVsHandLoopRange: readonly [number, number];
  /**
   * Median over rounds of (CPU per call of the hand loop / CPU per call of unordered mapAsync),
   * CPU of this process (all its threads) less the variant's fixed cost (a run of one call):
   * what each call costs the caller, which other sessions' load hardly changes.
   */
  readonly mapAsyncCpuVsHandLoop: number;
  /** CPU µs per call (median over rounds) of each variant, as above. */
  readonly cpuMicrosPerCall: Readonly<Record<Variant, number>>;
  /** The 1-minute load average before and after the rounds. */
  readonly loadAverage: readonly [number, number];
}

type Variant = 'hand' | 'unordered' | 'ordered';

/**
 * Async I/O (issue 11): `records` calls of a local HTTP service through `mapAsync` at capacity
 * 100 (one subtask), against a plain loop of the same calls with at most 100 in flight
 * (`Promise.all` over 100 lanes). The service runs in a process of its own, so it shares the
 * event loop of neither side. The rate is the service's: calls between its first and its last
 * call of a run, so the job's start (task thread, bundle) is not in it.
 * Like for like: the loop runs in a fresh worker thread per run, as each job run gets a fresh
 * task thread (before, it ran warm in the bench's own thread with its connections open, against
 * a cold thread that opened 100 new ones each run). Unordered mapAsync takes results as calls
 * complete, as the loop's lanes do; ordered mapAsync is measured beside it.
 * The machine is shared and noisy: after a warm-up, `rounds` rounds run every variant once,
 * side by side in a rotating order, and the ratios are taken within each round; the medians
 * are reported. Throughput still swings with other sessions' load (one client thread and the
 * service share 2 cores with them), so the CPU each call costs this process is reported too
 * (`mapAsyncCpuVsHandLoop`), which that load hardly moves.
 */
export async function asyncIoBench(records: number, rounds = 7): Promise<AsyncIoFigures> {
  const service = await startServiceProcess();
  try {
    const jobs = {
      unordered: prepareMapAsyncJob(service.url, records, false),
      ordered: prepareMapAsyncJob(service.url, records, true),
    };
    const loadBefore = loadavg()[0]!;
    const warmUp = Math.min(records, 2_000);
    await handLoop(service.url, warmUp); // warm up the service
    await runMapAsyncJob(prepareMapAsyncJob(service.url, warmUp, false));
    // Each run starts a thread (the hand loop's worker, the job's task thread): its CPU is no
    // part of the cost per call. A run of one call, three times, gives the median fixed cost.
    const fixedCpu = {
      hand: await medianCpu(() => handLoop(service.url, 1)),
      job: await medianCpu(() => runMapAsyncJob(prepareMapAsyncJob(service.url, 1, false))),
    };
    const scenario: Record<Variant, string> = {
      hand: 'async-io/hand-loop-100',
      unordered: 'async-io/map-async-100',
      ordered: 'async-io/map-async-100-ordered',
    };
    const run = (variant: Variant): Promise<{ m: Measurement; cpuPerCall: number }> =>
      measureAtService(
        service.url,
        scenario[variant],
        records,
        variant === 'hand' ? fixedCpu.hand : fixedCpu.job,
        async () =>
          expectCount(
            scenario[variant],
            variant === 'hand' ? await handLoop(service.url, records) : await runMapAsyncJob(jobs[variant]),
            records,
          ),
      );
    const order: Variant[] = ['hand', 'unordered', 'ordered'];
    const byVariant: Record<Variant, Measurement[]> = { hand: [], unordered: [], ordered: [] };
    const cpu: Record<Variant, number[]> = { hand: [], unordered: [], ordered: [] };
    const ratios: { unordered: number; ordered: number; cpu: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const rate: Partial<Record<Variant, number>> = {};
      const perCall: Partial<Record<Variant, number>> = {};
      for (let i = 0; i < order.length; i++) {
        const variant = order[(round + i) % order.length]!;
        const { m, cpuPerCall } = await run(variant);
        byVariant[variant].push(m);
        cpu[variant].push(cpuPerCall);
        rate[variant] = m.recordsPerSec;
        perCall[variant] = cpuPerCall;
      }
      ratios.push({
        unordered: rate.unordered! / rate.hand!,
        ordered: rate.ordered! / rate.hand!,
        cpu: perCall.hand! / perCall.unordered!,
      });
    }
    const unordered = ratios.map((r) => r.unordered);
    const byValue = (r: number): number => r;
    return {
      measurements: order.map((v) => median(byVariant[v], (m) => m.recordsPerSec)),
      mapAsyncVsHandLoop: median(unordered, byValue),
      mapAsyncOrderedVsHandLoop: median(
        ratios.map((r) => r.ordered),
        byValue,
      ),
      mapAsyncVsHandLoopRange: [Math.min(...unordered), Math.max(...unordered)],
      mapAsyncCpuVsHandLoop: median(
        ratios.map((r) => r.cpu),
        byValue,
      ),
      cpuMicrosPerCall: {
        hand: median(cpu.hand, byValue),
        unordered: median(cpu.unordered, byValue),
        ordered: median(cpu.ordered, byValue),
      },
      loadAverage: [loadBefore, loadavg()[0]!],
    };
  } finally {
    service.child.kill();
  }
}

/** CPU ms of this process (every thread) that `fn` took, median of three runs. */
async function medianCpu(fn: () => Promise<unknown>): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(before);
    runs.push((used.user + used.system) / 1000);
  }
  return median(runs, (r) => r);
}

/**
 * Runs `fn` and takes the rate of calls the service saw, from its first to its last, and the
 * CPU µs per call of this process (less `fixedCpuMs`, the cost of a run of one call).
 */
async function measureAtService(
  url: string,
  scenario: string,
  records: number,
  fixedCpuMs: number,
  fn: () => Promise<void>,
): Promise<{ m: Measurement; cpuPerCall: number }> {
  await getJson(`${url}/reset`);
  const before = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(before);
  const { calls, firstAt, lastAt } = (await getJson(`${url}/stats`)) as Record<string, number>;
  expectCount(scenario, calls!, records);
  const seconds = (lastAt! - firstAt!) / 1000;
  const cpuMs = (used.user + used.system) / 1000 - fixedCpuMs;
  return {
    m: { scenario, records, seconds, recordsPerSec: (records - 1) / seconds },
    cpuPerCall: (cpuMs * 1000) / records,
  };
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

function median<T>(values: T[], by: (value: T) => number): T {
  return [...values].sort((a, b) => by(a) - by(b))[Math.floor(values.length / 2)]!;
}

const HAND_WORKER = join(__dirname, 'async-io-hand-worker.ts');

/** The same calls as the job, at most CAPACITY at a time, in a fresh thread (async-io-hand-worker.ts). */
function handLoop(url: string, records: number): Promise<number> {
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(HAND_WORKER)});`, {
    eval: true,
    workerData: { url, records, capacity: CAPACITY },
  });
  return new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { answered: number }) => {
      resolve(m.answered);
      void worker.terminate();
    });
  }).finally(() => void worker.terminate());
}

/** Bundles the job (client-side work, not timed: it is no part of the calls' throughput). */
function prepareMapAsyncJob(url: string, records: number, ordered: boolean): ReturnType<typeof prepareJob> {
  return prepareJob(
    join(BENCH_JOBS, 'async-calls.ts'),
    { url, records: String(records), capacity: String(CAPACITY), ordered: String(ordered) },
    { parallelism: 1 },
  );
}

/** Runs the prepared job embedded: the wall time includes the task thread's start, as a user sees it. */
async function runMapAsyncJob(job: ReturnType<typeof prepareJob>): Promise<number> {
  const result = await runJobEmbedded(job.jobGraph, job.code);
  return (result.results as number[]).reduce((a, b) => a + b, 0);
}

async function startServiceProcess(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename], {
    env: { ...process.env, SLUICE_BENCH_ASYNC_SERVICE: LATENCY_MS },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the bench's HTTP service exited with ${code}`)));
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
  });
  return { url, child };
}

/** In the service's own process: serve until killed, printing the URL. */
async function serve(latency: string): Promise<void> {
  const [min, max] = latency.split(',').map(Number) as [number, number];
  const service = await startAsyncService({ latencyMs: [min, max] });
  process.stdout.write(`${service.url}\n`);
}

if (process.env.SLUICE_BENCH_ASYNC_SERVICE) void serve(process.env.SLUICE_BENCH_ASYNC_SERVICE);
