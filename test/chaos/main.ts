/**
 * `npm run chaos [-- --runs N] [--seed S] [--faults F] [--records R] [--log-dir D]`: the chaos
 * suite (issue 10, docs/architecture.md §9). Each run starts a fresh cluster, applies a seeded
 * schedule of faults while the exactly-once-count job runs, and checks the committed output.
 * Prints a table per run and a summary; exits 1 when a record was lost or duplicated or a job
 * did not finish. Run `i` uses seed `S + i`, so one run replays with `--seed S+i --runs 1`.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { ChaosRunReport } from './chaos-run';
import { chaosRun } from './chaos-run';
import { summary, tableHeader, tableRow } from './chaos-report';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

async function main(): Promise<void> {
  const program = new Command('chaos')
    .description('Applies seeded faults to a local HA cluster running an exactly-once job; checks the output')
    .option('--runs <n>', 'runs, each on a fresh cluster', positive, 20)
    .option('--seed <n>', 'seed of the first run (run i uses seed + i)', positive, 1)
    .option('--faults <n>', 'faults per run', positive, 6)
    .option(
      '--records <n>',
      'records per source of the job (two sources, about 1 ms each per subtask)',
      positive,
      120_000,
    )
    .option('--log-dir <dir>', 'where logs of failed runs go', '.sluice/chaos')
    .parse();
  const opts = program.opts<{
    runs: number;
    seed: number;
    faults: number;
    records: number;
    logDir: string;
  }>();
  process.env.SLUICE_LOG_LEVEL ??= 'info';
  const reports: ChaosRunReport[] = [];
  // Rows are printed as runs end, so an interrupted suite still shows what it ran.
  console.log(tableHeader());
  for (let i = 0; i < opts.runs; i++) {
    const seed = opts.seed + i;
    process.stderr.write(`run ${i + 1}/${opts.runs} (seed ${seed})…\n`);
    const report = await chaosRun({
      seed,
      faults: opts.faults,
      recordsPerSource: opts.records,
      logDir: opts.logDir,
    });
    reports.push(report);
    console.log(tableRow(report));
    process.stderr.write(
      `  ${report.status}: ${report.check.lost} lost, ${report.check.duplicated} duplicated, ` +
        `${report.faults.length} faults, ${(report.durationMs / 1000).toFixed(0)} s\n`,
    );
  }
  const { text, ok } = summary(reports);
  console.log(`\n${text}`);
  if (!ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
