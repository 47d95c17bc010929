import type { Command } from 'commander';
import { formatRecord } from '../api/connectors/client-sinks';
import { prepareJob } from '../client/prepare-job';
import { runJobEmbedded } from '../minicluster/mini-cluster';
import { keyValue, positiveInt } from './options';

interface RunOptions {
  parallelism?: number;
  arg?: Record<string, string>;
  maxParallelism?: number;
  disableChaining?: boolean;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('Run a job: build its graph, run every subtask in its own thread, print what its sinks print or collect')
    .argument('<job>', 'job module (.ts or .js) whose default export is defineJob(...)')
    .option('-p, --parallelism <n>', 'default parallelism of the job', positiveInt)
    .option('--max-parallelism <n>', 'default max parallelism (number of key groups)', positiveInt)
    .option('--disable-chaining', 'run every operator as its own task')
    .option('-a, --arg <key=value>', 'argument passed to the job (repeatable)', keyValue)
    .action(async (jobPath: string, options: RunOptions) => {
      const { jobGraph, code } = prepareJob(jobPath, options.arg ?? {}, {
        ...(options.parallelism ? { parallelism: options.parallelism } : {}),
        ...(options.maxParallelism ? { maxParallelism: options.maxParallelism } : {}),
        ...(options.disableChaining ? { chaining: false } : {}),
      });
      const result = await runJobEmbedded(jobGraph, code, {
        onOutput: (lines) => process.stdout.write(lines.join('\n') + '\n'),
      });
      for (const value of result.results) process.stdout.write(formatRecord(value) + '\n');
      console.error(`job '${result.jobName}' (${result.jobId}) finished in ${result.durationMs} ms`);
    });
}
