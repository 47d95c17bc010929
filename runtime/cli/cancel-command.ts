import type { Command } from 'commander';
import { connectToCluster } from './cluster-client';
import type { ClusterFlags } from './options';
import { addClusterOptions, jobIdArgument } from './options';

export function registerCancelCommand(program: Command): void {
  const command = program
    .command('cancel')
    .description('Cancel a running job (its tasks are stopped; asking again is harmless)')
    .argument('<jobId>', 'id of the job (see sluice list)', jobIdArgument);
  addClusterOptions(command).action(async (jobId: string, options: ClusterFlags) => {
    await (await connectToCluster(options)).cancelJob(jobId);
    console.error(`cancellation of job ${jobId} requested`);
  });
}
