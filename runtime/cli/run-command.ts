import { Option } from 'commander';
import type { Command } from 'commander';
import { formatRecord } from '../api/connectors/client-sinks';
import type { JobSettings } from '../api/job-settings';
import type { TargetKind } from '../client/cluster-target';
import { resolveClusterTarget } from '../client/cluster-target';
import { prepareJob } from '../client/prepare-job';
import { loadConfig } from '../config';
import { ConfigError } from '../errors';
import { runJobEmbedded } from '../minicluster/mini-cluster';
import type { ClusterFlags } from './options';
import { addClusterOptions, keyValue, positiveInt, targetOption } from './options';
import { runOnCluster } from './run-on-cluster';

interface RunOptions extends ClusterFlags {
  parallelism?: number;
  arg?: Record<string, string>;
  maxParallelism?: number;
  disableChaining?: boolean;
  target: TargetKind;
  detached?: boolean;
  exchange?: 'tcp' | 'sqs';
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
    .option('-a, --arg <key=value>', 'argument passed to the job (repeatable)', keyValue)
    .addOption(
      new Option(
        '--exchange <transport>',
        "transport between TaskManagers for this job (default: the cluster's execution.exchange)",
      ).choices(['tcp', 'sqs']),
    )
    .addOption(targetOption())
    .option('-d, --detached', 'submit to the job manager, print the job id and return without following');
  addClusterOptions(command).action(async (jobPath: string, options: RunOptions) => {
    const target = await resolveClusterTarget({
      target: options.target,
      restUrl: options.restUrl,
      token: options.token,
    });
    if (target.kind === 'cluster') {
      await runOnCluster(jobPath, options.arg ?? {}, buildSettings(options), target, {
        detached: options.detached === true,
      });
      return;
    }
    if (options.detached) {
      throw new ConfigError(
        `--detached needs a job manager (${target.reason}): pass --rest-url or set SLUICE_REST_URL`,
      );
    }
    await runEmbedded(jobPath, options);
  });
}

function buildSettings(options: RunOptions): Partial<JobSettings> {
  return {
    ...(options.parallelism ? { parallelism: options.parallelism } : {}),
    ...(options.maxParallelism ? { maxParallelism: options.maxParallelism } : {}),
    ...(options.disableChaining ? { chaining: false } : {}),
    ...(options.exchange ? { exchange: options.exchange } : {}),
  };
}

async function runEmbedded(jobPath: string, options: RunOptions): Promise<void> {
  // The restart strategy and the other job manager settings, from SLUICE_CONFIG and SLUICE_* variables.
  const config = loadConfig();
  const { jobGraph, code } = prepareJob(jobPath, options.arg ?? {}, buildSettings(options));
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
    onOutput: (lines) => process.stdout.write(lines.join('\n') + '\n'),
    onOutputRestart: (attempt) =>
      console.error(`(job restarted from the beginning as attempt ${attempt}: its output starts over)`),
  }).finally(() => process.off('SIGINT', onSigint));
  for (const value of result.results) process.stdout.write(formatRecord(value) + '\n');
  console.error(`job '${result.jobName}' (${result.jobId}) finished in ${result.durationMs} ms`);
}
