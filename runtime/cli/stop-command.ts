import type { Command } from 'commander';
import { SavepointRequests } from '../client/savepoint-requests';
import { connectToCluster } from './cluster-client';
import type { ClusterFlags } from './options';
import { addClusterOptions, jobIdArgument } from './options';
import { requestJobSavepoint } from './savepoint-progress';

interface StopOptions extends ClusterFlags {
  savepointDir?: string;
  drain?: boolean;
}

/**
 * `sluice stop <jobId>` (Flink's `flink stop`, `POST /jobs/:id/stop`): a savepoint, then the
 * sources end and the job FINISHES; prints the savepoint's location once it did.
 */
export function registerStopCommand(program: Command): void {
  const command = program
    .command('stop')
    .description(
      'Stop a running job with a savepoint: its sources end right after the savepoint and the job FINISHES ' +
        '(sinks commit what the savepoint covers); prints the savepoint location',
    )
    .argument('<jobId>', 'id of the job (see sluice list)', jobIdArgument)
    .option(
      '--savepoint-dir <dir>',
      "directory under the store's savepoints/ folder (default: state.savepoints.dir)",
    )
    .option(
      '--drain',
      "end the sources' input before the savepoint, so every operator flushes into it (with event time, " +
        'once it exists, time would also advance to the end)',
    );
  addClusterOptions(command).action(async (jobId: string, options: StopOptions) => {
    const requests = new SavepointRequests(await connectToCluster(options));
    const body = {
      ...(options.savepointDir !== undefined ? { targetDirectory: options.savepointDir } : {}),
      ...(options.drain ? { drain: true } : {}),
    };
    const location = await requestJobSavepoint(requests, jobId, `stop of job ${jobId}`, () =>
      requests.stop(jobId, body),
    );
    process.stdout.write(`${location}\n`);
    console.error(`job ${jobId} stopped with savepoint ${location}`);
  });
}
