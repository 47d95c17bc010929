import { Option } from 'commander';
import type { Command } from 'commander';
import { formatRecord } from '../api/connectors/client-sinks';
import type { JobArgs } from '../api/job';
import type { JobSettings } from '../api/job-settings';
import type { TargetKind } from '../client/cluster-target';
import { resolveClusterTarget } from '../client/cluster-target';
import { jobSettingsFromConfig } from '../client/job-config';
import { prepareJob } from '../client/prepare-job';
import { missingUidWarning } from '../graph/uid-warnings';
import { resolveJobArgs } from '../client/resolve-job-args';
import type { SavepointRestore } from '../client/submit-job';
import { typeCheckJob } from '../client/type-check-job';
import { loadConfig } from '../config';
import { ConfigError } from '../errors';
import { runJobEmbedded } from '../minicluster/mini-cluster';
import type { ClusterFlags } from './options';
import { addClusterOptions, keyValue, keyValueList, positiveInt, targetOption } from './options';
import { printOutputRestart, runOnCluster } from './run-on-cluster';

interface RunOptions extends ClusterFlags {
  parallelism?: number;
  arg?: Record<string, string>;
  maxParallelism?: number;
  disableChaining?: boolean;
  target: TargetKind;
  detached?: boolean;
  exchange?: 'tcp' | 'sqs';
  config?: string;
  define?: string[];
  skipTypeCheck?: boolean;
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description(
      'Run a job: on a job manager when one is given or found (bundle, upload, submit, follow its output), ' +
        'else embedded (every subtask in its own thread of this process)',
    )
    .argument('<job>', 'job module (.ts or .js) whose default export is defineJob(...)')
    .option('-p, --parallelism <n>', 'default parallelism of the job', positiveInt)
    .option('--max-parallelism <n>', 'default max parallelism (number of key groups)', positiveInt)
    .option('--disable-chaining', 'run every operator as its own task')
    .option(
      '-a, --arg <key=value>',
      'argument passed to the job (repeatable); a relative path to an existing file or directory, ' +
        'or one starting with ./ or ../, is made absolute here, so the job finds it on a cluster too',
      keyValue,
    )
    .option(
      '-c, --config <file>',
      'YAML file of job-level config keys (parallelism.default, pipeline.*, execution.buffer-timeout, execution.exchange, state.backend, restart-strategy.*)',
    )
    .option(
      '-D, --define <key=value>',
      'set a job-level config key (repeatable), e.g. -D parallelism.default=4',
      keyValueList,
    )
    .option(
      '--skip-type-check',
      'run without type-checking the job first (TypeScript jobs are checked by default)',
    )
    .addOption(
      new Option(
        '--exchange <transport>',
        "transport between TaskManagers for this job (default: the cluster's execution.exchange)",
      ).choices(['tcp', 'sqs']),
    )
    .addOption(targetOption())
    .option(
      '-s, --from-savepoint <path>',
      "start from this savepoint (its location as printed, or a path under the store's savepoints/ folder); " +
        'state is matched by operator uid',
    )
    .option(
      '--allow-non-restored-state',
      'with --from-savepoint: start even when the savepoint holds state of an operator (uid) the job no longer has, dropping it',
    )
    .option('-d, --detached', 'submit to the job manager, print the job id and return without following');
  addClusterOptions(command).action(async (jobPath: string, options: RunOptions) => {
    // Settings and args are checked before anything is type-checked, bundled or sent.
    const settings = buildSettings(options);
    const args = resolveJobArgs(options.arg ?? {});
    if (options.allowNonRestoredState && options.fromSavepoint === undefined)
      throw new ConfigError('--allow-non-restored-state needs --from-savepoint <path>');
    const restore: SavepointRestore | undefined =
      options.fromSavepoint !== undefined
        ? {
            savepointPath: options.fromSavepoint,
            allowNonRestoredState: options.allowNonRestoredState === true,
          }
        : undefined;
    if (!options.skipTypeCheck) typeCheckJob(jobPath);
    const target = await resolveClusterTarget({
      target: options.target,
      restUrl: options.restUrl,
      token: options.token,
    });
    if (target.kind === 'cluster') {
      await runOnCluster(jobPath, args, settings, target, {
        detached: options.detached === true,
        ...(restore ? { restore } : {}),
      });
      return;
    }
    if (options.detached) {
      throw new ConfigError(
        `--detached needs a job manager (${target.reason}): pass --rest-url or set SLUICE_REST_URL`,
      );
    }
    await runEmbedded(jobPath, args, settings, restore);
  });
}

/** Job settings, lowest precedence first: --config file, -D pairs, the dedicated flags. */
function buildSettings(options: RunOptions): Partial<JobSettings> {
  return {
    ...jobSettingsFromConfig({
      ...(options.config ? { file: options.config } : {}),
      ...(options.define ? { define: options.define } : {}),
    }),
    ...(options.parallelism ? { parallelism: options.parallelism } : {}),
    ...(options.maxParallelism ? { maxParallelism: options.maxParallelism } : {}),
    ...(options.disableChaining ? { chaining: false } : {}),
    ...(options.exchange ? { exchange: options.exchange } : {}),
  };
}

async function runEmbedded(
  jobPath: string,
  args: JobArgs,
  settings: Partial<JobSettings>,
  restore: SavepointRestore | undefined,
): Promise<void> {
  // The restart strategy and the other job manager settings, from SLUICE_CONFIG and SLUICE_* variables.
  const config = loadConfig();
  // The in-process job master is this command's business: its progress lines would bury the
  // job's output on a terminal. Warnings and errors still show; SLUICE_LOG_LEVEL overrides.
  process.env.SLUICE_LOG_LEVEL ??= 'warn';
  const { jobGraph, code } = prepareJob(jobPath, args, settings);
  const uidWarning = missingUidWarning(jobGraph);
  if (uidWarning) console.error(`warning: ${uidWarning}`);
  // Ctrl-C cancels the job: every task thread is stopped before the command exits.
  const controller = new AbortController();
  const onSigint = (): void => {
    console.error(`canceling job '${jobGraph.jobName}'`);
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  const result = await runJobEmbedded(jobGraph, code, {
    config,
    signal: controller.signal,
    ...(restore
      ? {
          savepoint: {
            path: restore.savepointPath,
            allowNonRestoredState: restore.allowNonRestoredState ?? false,
          },
        }
      : {}),
    onOutput: (lines) => process.stdout.write(lines.join('\n') + '\n'),
    onOutputRestart: printOutputRestart,
  }).finally(() => process.off('SIGINT', onSigint));
  for (const value of result.results) process.stdout.write(formatRecord(value) + '\n');
  console.error(`job '${result.jobName}' (${result.jobId}) finished in ${result.durationMs} ms`);
}
