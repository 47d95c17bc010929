import { join } from 'node:path';
import { prepareJob } from '../../runtime/client/prepare-job';
import type { JobSettings } from '../../runtime/api/job-settings';
import { runJobEmbedded } from '../../runtime/minicluster/mini-cluster';

export interface Measurement {
  readonly scenario: string;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  /** Rates of every round, when the row is the median of several. */
  readonly rounds?: readonly number[];
}

export const BENCH_JOBS = join(__dirname, '..', 'jobs');

/** Times `fn` and turns the count it processed into a rate. */
export async function measure(
  scenario: string,
  records: number,
  fn: () => Promise<void> | void,
): Promise<Measurement> {
  const started = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { scenario, records, seconds, recordsPerSec: records / seconds };
}

/**
 * Runs every variant once per round, in turn, `rounds` times; each row is the variant's median
 * round (with every round's rate). Alternating puts the variants under the same conditions on a
 * shared machine, and the median keeps one unlucky run from deciding a ratio.
 */
export async function alternatingRounds(
  rounds: number,
  variants: readonly (() => Promise<Measurement>)[],
): Promise<Measurement[]> {
  const runs: Measurement[][] = variants.map(() => []);
  for (let round = 0; round < rounds; round++)
    for (const [i, variant] of variants.entries()) runs[i]!.push(await variant());
  return runs.map((of) => {
    const sorted = [...of].sort((a, b) => a.recordsPerSec - b.recordsPerSec);
    return { ...sorted[Math.floor(sorted.length / 2)]!, rounds: of.map((r) => Math.round(r.recordsPerSec)) };
  });
}

/** Runs a bench job embedded (wall time includes thread start-up, as a user would see it). */
export async function runBenchJob(
  job: string,
  records: number,
  settings: Partial<JobSettings>,
): Promise<number> {
  const { jobGraph, code } = prepareJob(
    join(BENCH_JOBS, `${job}.ts`),
    { records: String(records) },
    settings,
  );
  const result = await runJobEmbedded(jobGraph, code);
  return (result.results as number[]).reduce((a, b) => a + b, 0);
}

export function expectCount(scenario: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${scenario}: produced ${actual} results, expected ${expected}`);
}
