import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { join } from 'node:path';
import { callSquare } from '../jobs/async-calls';
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
}

type Variant = 'hand' | 'unordered' | 'ordered';

/**
 * Async I/O (issue 11): `records` calls of a local HTTP service through `mapAsync` at capacity
 * 100 (one subtask), against a plain loop of the same calls with at most 100 in flight
 * (`Promise.all` over 100 lanes). The service runs in a process of its own, so it shares the
 * event loop of neither side. The rate is the service's: calls between its first and its last
 * call of a run, so the job's start (task thread, bundle) is not in it.
 * The like-for-like comparison is unordered mapAsync (results as calls complete, as the loop's
 * lanes take them); ordered mapAsync is measured beside it (a slow call at the head holds back
 * the results behind it, and their slots). The machine is noisy: after a warm-up of each
 * variant, `rounds` rounds run every variant once, side by side in a rotating order, and the
 * ratios are taken within each round; the medians are reported.
 */
export async function asyncIoBench(records: number, rounds = 7): Promise<AsyncIoFigures> {
  const service = await startServiceProcess();
  try {
    const jobs = {
      unordered: prepareMapAsyncJob(service.url, records, false),
      ordered: prepareMapAsyncJob(service.url, records, true),
    };
    const warmUp = Math.min(records, 2_000);
    await handLoop(service.url, warmUp); // warm up the service and this process's client
    await runMapAsyncJob(prepareMapAsyncJob(service.url, warmUp, false));
    const scenario: Record<Variant, string> = {
      hand: 'async-io/hand-loop-100',
      unordered: 'async-io/map-async-100',
      ordered: 'async-io/map-async-100-ordered',
    };
    const run = (variant: Variant): Promise<Measurement> =>
      measureAtService(service.url, scenario[variant], records, async () =>
        expectCount(
          scenario[variant],
          variant === 'hand' ? await handLoop(service.url, records) : await runMapAsyncJob(jobs[variant]),
          records,
        ),
      );
    const order: Variant[] = ['hand', 'unordered', 'ordered'];
    const byVariant: Record<Variant, Measurement[]> = { hand: [], unordered: [], ordered: [] };
    const ratios: { unordered: number; ordered: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const rate: Partial<Record<Variant, number>> = {};
      for (let i = 0; i < order.length; i++) {
        const variant = order[(round + i) % order.length]!;
        const m = await run(variant);
        byVariant[variant].push(m);
        rate[variant] = m.recordsPerSec;
      }
      ratios.push({ unordered: rate.unordered! / rate.hand!, ordered: rate.ordered! / rate.hand! });
    }
    const unordered = ratios.map((r) => r.unordered);
    return {
      measurements: order.map((v) => median(byVariant[v], (m) => m.recordsPerSec)),
      mapAsyncVsHandLoop: median(unordered, (r) => r),
      mapAsyncOrderedVsHandLoop: median(
        ratios.map((r) => r.ordered),
        (r) => r,
      ),
      mapAsyncVsHandLoopRange: [Math.min(...unordered), Math.max(...unordered)],
    };
  } finally {
    service.child.kill();
  }
}

/** Runs `fn` and takes the rate of calls the service saw, from its first to its last. */
async function measureAtService(
  url: string,
  scenario: string,
  records: number,
  fn: () => Promise<void>,
): Promise<Measurement> {
  await getJson(`${url}/reset`);
  await fn();
  const { calls, firstAt, lastAt } = (await getJson(`${url}/stats`)) as Record<string, number>;
  expectCount(scenario, calls!, records);
  const seconds = (lastAt! - firstAt!) / 1000;
  return { scenario, records, seconds, recordsPerSec: (records - 1) / seconds };
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

/** The same calls as the job, at most CAPACITY at a time: the baseline a user would write. */
async function handLoop(url: string, records: number): Promise<number> {
  let next = 0;
  let answered = 0;
  await Promise.all(
    Array.from({ length: CAPACITY }, async () => {
      while (next < records) {
        const v = next++;
        if ((await callSquare(url, v)) === v * v) answered++;
      }
    }),
  );
  return answered;
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
