import type { Command } from 'commander';
import { Option } from 'commander';
import { formatRecord } from '../api/connectors/client-sinks';
import type { JobFollowSource } from '../client/follow-job';
import { connectToCluster } from './cluster-client';
import type { ClusterFlags } from './options';
import { addClusterOptions, jobIdArgument } from './options';
import { followToEnd } from './run-on-cluster';

interface OutputOptions extends ClusterFlags {
  follow?: boolean;
  json?: boolean;
}

export function registerOutputCommand(program: Command): void {
  const command = program
    .command('output')
    .description(
      "Print a job's output (what it printed, then what it collected) as the job manager keeps it: " +
        'of a detached job, a running one or one that ended',
    )
    .argument('<jobId>', 'id of the job (see sluice list)', jobIdArgument)
    .option(
      '-f, --follow',
      'keep following until the job ends, as `sluice run` does (exit 1 when it fails or is canceled)',
    )
    .addOption(
      new Option('--json', 'print { jobId, status, lines, results } as JSON (the output so far)').conflicts(
        'follow',
      ),
    );
  addClusterOptions(command).action(async (jobId: string, options: OutputOptions) => {
    const client = await connectToCluster(options);
    if (options.follow) {
      await followToEnd(client, jobId);
      return;
    }
    if (options.json) {
      const lines: string[] = [];
      const { results, status } = await printOutputSoFar(client, jobId, (page) => lines.push(...page));
      process.stdout.write(`${JSON.stringify({ jobId, status, lines, results }, null, 2)}\n`);
      return;
    }
    const { results, status } = await printOutputSoFar(client, jobId, (lines) =>
      process.stdout.write(lines.join('\n') + '\n'),
    );
    for (const value of results) process.stdout.write(formatRecord(value) + '\n');
    console.error(`job ${jobId} ${status}`);
  });
}

/**
 * Pages through a job's output (current attempt) until a page brings nothing new, passing the
 * lines on as they come. Returns the collected results and the job's status at the last page.
 */
export async function printOutputSoFar(
  source: Pick<JobFollowSource, 'jobOutput'>,
  jobId: string,
  onLines: (lines: string[]) => void,
): Promise<{ results: unknown[]; status: string }> {
  const results: unknown[] = [];
  let fromLine = 0;
  let fromResult = 0;
  for (;;) {
    const page = await source.jobOutput(jobId, fromLine, fromResult);
    if (page.lines.length > 0) onLines(page.lines);
    results.push(...page.results);
    if (page.nextLine === fromLine && page.nextResult === fromResult) return { results, status: page.status };
    fromLine = page.nextLine;
    fromResult = page.nextResult;
  }
}
