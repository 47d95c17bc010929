import type { Command } from 'commander';
import { CommanderError } from 'commander';
import type { CompatibilityReport } from '../checkpoint/savepoint-compatibility';
import { checkSavepointCompatibility } from '../checkpoint/savepoint-compatibility';
import type { OpenedSavepoint } from '../checkpoint/savepoint-reader';
import { openSavepoint } from '../checkpoint/savepoint-reader';
import { prepareJob } from '../client/prepare-job';
import { resolveJobArgs } from '../client/resolve-job-args';
import { configuredBlobStore } from './cluster-client';
import { CheckpointCorruptError, describeError } from '../errors';
import type { JobGraph } from '../graph/job-graph';
import { CliExit } from './cli-exit';
import { keyValue, positiveInt } from './options';

/** Exit codes of `sluice savepoint check`, for CI pipelines gating deploys on it. */
export const CHECK_EXIT = { compatible: 0, incompatible: 1, usage: 2 } as const;

interface CheckOptions {
  parallelism?: number;
  maxParallelism?: number;
  arg?: Record<string, string>;
  allowNonRestoredState?: boolean;
  json?: boolean;
}

/**
 * `sluice savepoint check <path> <job>`: would this job version start from this savepoint? A
 * dry run of the restore, embedded, touching no running job (see `checkSavepointCompatibility`).
 */
export function registerSavepointCheckCommand(savepoint: Command): void {
  savepoint
    .command('check')
    .description(
      'Check before a deploy whether a job (a new version) restores from a savepoint: builds its graph and ' +
        'dry-runs the restore embedded (uids matched and unmatched, state per operator, parallelism and max ' +
        'parallelism, every value decoded), opening each restored operator without records to compare the state ' +
        'names it registers (missing and new ones warn, a changed kind is incompatible). ' +
        'Exit 0 compatible, 1 incompatible, 2 usage error',
    )
    .argument('<path>', 'savepoint location (as printed by sluice savepoint / list) or a local directory')
    .argument('<job>', 'job module (.ts or .js) whose default export is defineJob(...)')
    .option('-p, --parallelism <n>', 'default parallelism of the job', positiveInt)
    .option('--max-parallelism <n>', 'default max parallelism (number of key groups)', positiveInt)
    .option('-a, --arg <key=value>', 'argument passed to the job (repeatable)', keyValue)
    .option('--allow-non-restored-state', 'state of operators the job lacks is dropped instead of refused')
    .option('--json', 'print the report as JSON')
    // Usage errors are exit 2 here (not commander's 1): 1 means "incompatible" to a pipeline.
    .exitOverride((err) => {
      if (err.exitCode === 0) throw err;
      throw new CommanderError(CHECK_EXIT.usage, err.code, err.message);
    })
    .action(async (path: string, jobPath: string, options: CheckOptions) => {
      const { jobGraph, streamGraph, code } = usage(() =>
        prepareJob(jobPath, resolveJobArgs(options.arg ?? {}), {
          ...(options.parallelism ? { parallelism: options.parallelism } : {}),
          ...(options.maxParallelism ? { maxParallelism: options.maxParallelism } : {}),
        }),
      );
      const opened = await openForCheck(path);
      let report: CompatibilityReport;
      try {
        report = await checkSavepointCompatibility(opened, jobGraph, {
          allowNonRestoredState: options.allowNonRestoredState === true,
          streamGraph,
          jobParameters: code.args,
        });
      } finally {
        await opened.close();
      }
      process.stdout.write(
        options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report, jobGraph)}\n`,
      );
      if (!report.compatible) throw new CliExit(CHECK_EXIT.incompatible);
    });
}

/** A savepoint that fails its checksum cannot restore (exit 1); one that is not there is a usage error. */
async function openForCheck(path: string): Promise<OpenedSavepoint> {
  try {
    return await openSavepoint(path, configuredBlobStore);
  } catch (err) {
    printError(err);
    throw new CliExit(err instanceof CheckpointCorruptError ? CHECK_EXIT.incompatible : CHECK_EXIT.usage);
  }
}

function printError(err: unknown): void {
  console.error(`error: ${describeError(err)}`);
}

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    printError(err);
    throw new CliExit(CHECK_EXIT.usage);
  }
}

function formatReport(r: CompatibilityReport, jobGraph: JobGraph): string {
  const mark = { ok: 'ok     ', note: 'note   ', warning: 'WARNING', problem: 'PROBLEM' } as const;
  const parallelism = jobGraph.vertices.map((v) => v.parallelism);
  return [
    `job '${r.jobName}' (parallelism ${Math.min(...parallelism)}-${Math.max(...parallelism)}) against savepoint ${r.location}`,
    `uids matched: ${r.matched.join(', ') || '-'}`,
    `uids unmatched (state in the savepoint, no operator in the job): ${r.unmatched.join(', ') || '-'}`,
    `new operators (no state in the savepoint): ${r.added.join(', ') || '-'}`,
    ...r.findings.map((f) => `${mark[f.severity]} ${f.message}`),
    `${r.valuesChecked} state values decoded`,
    r.compatible ? 'COMPATIBLE' : 'INCOMPATIBLE',
  ].join('\n');
}
