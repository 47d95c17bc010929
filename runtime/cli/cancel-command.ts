import type { Command } from 'commander';
import { SavepointRequests } from '../client/savepoint-requests';
import { connectToCluster } from './cluster-client';
import type { ClusterFlags } from './options';
import { addClusterOptions, jobIdArgument } from './options';
import { requestJobSavepoint } from './savepoint-progress';

interface CancelOptions extends ClusterFlags {
  /** `true` for the flag alone (the default savepoint directory), else the directory. */
  withSavepoint?: string | true;
}

export function registerCancelCommand(program: Command): void {
  const command = program
    .command('cancel')
    .description('Cancel a running job (its tasks are stopped; asking again is harmless)')
    .argument('<jobId>', 'id of the job (see sluice list)', jobIdArgument)
    .option(
      '--with-savepoint [dir]',
      "take a savepoint first (into dir under the store's savepoints/ folder, default state.savepoints.dir), " +
        'then cancel; prints the savepoint location. Deprecated in Flink in favour of sluice stop',
    );
  addClusterOptions(command).action(async (jobId: string, options: CancelOptions) => {
    const client = await connectToCluster(options);
    if (options.withSavepoint === undefined) {
      await client.cancelJob(jobId);
      console.error(`cancellation of job ${jobId} requested`);
      return;
    }
    const requests = new SavepointRequests(client);
    const target = options.withSavepoint === true ? {} : { targetDirectory: options.withSavepoint };
    const location = await requestJobSavepoint(requests, jobId, `savepoint of job ${jobId}`, () =>
      requests.trigger(jobId, { ...target, cancelJob: true }),
    );
    process.stdout.write(`${location}\n`);
    console.error(`job ${jobId} canceled after savepoint ${location}`);
  });
}
