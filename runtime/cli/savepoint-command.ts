import type { Command } from 'commander';
import { SavepointRequests } from '../client/savepoint-requests';
import { ConfigError } from '../errors';
import { connectToCluster } from './cluster-client';
import type { ClusterFlags } from './options';
import { addClusterOptions, jobIdArgument } from './options';
import { awaitSavepointRequest, requestJobSavepoint } from './savepoint-progress';
import { registerSavepointCheckCommand } from './savepoint-check-command';
import { registerSavepointInspectCommand } from './savepoint-inspect-command';
import { registerSavepointListCommand } from './savepoint-list-command';

interface SavepointOptions extends ClusterFlags {
  dispose?: string;
}

/**
 * `sluice savepoint <jobId> [targetDir]` (Flink's `flink savepoint`): triggers a savepoint of a
 * running job and follows it, printing its location on stdout; `--dispose <path>` deletes one.
 * Its subcommands (`list`, `inspect`, `check`) live in files of their own.
 */
export function registerSavepointCommand(program: Command): void {
  const command = program
    .command('savepoint')
    .description(
      'Take a savepoint of a running job and wait for it, showing progress (subtasks acknowledged, bytes ' +
        'uploaded); prints its location. With --dispose, delete a savepoint instead',
    )
    .argument('[jobId]', 'id of the job (see sluice list)', jobIdArgument)
    .argument('[targetDir]', "directory under the store's savepoints/ folder (default: state.savepoints.dir)")
    .option('--dispose <path>', 'delete the savepoint at <path> (exactly the objects its _metadata names)');
  addClusterOptions(command).action(
    async (jobId: string | undefined, targetDir: string | undefined, options: SavepointOptions) => {
      if (options.dispose !== undefined) {
        if (jobId !== undefined)
          throw new ConfigError('--dispose <path> takes no job id: sluice savepoint --dispose <path>');
        await dispose(options.dispose, options);
        return;
      }
      if (jobId === undefined)
        throw new ConfigError(
          'missing job id: sluice savepoint <jobId> [targetDir], or sluice savepoint --dispose <path> | list | inspect | check',
        );
      const requests = new SavepointRequests(await connectToCluster(options));
      const location = await requestJobSavepoint(requests, jobId, `savepoint of job ${jobId}`, () =>
        requests.trigger(jobId, targetDir !== undefined ? { targetDirectory: targetDir } : {}),
      );
      process.stdout.write(`${location}\n`);
      console.error(
        `savepoint of job ${jobId} completed; resume with: sluice run --from-savepoint ${location} <job>`,
      );
    },
  );
  registerSavepointListCommand(command);
  registerSavepointInspectCommand(command);
  registerSavepointCheckCommand(command);
}

async function dispose(path: string, flags: ClusterFlags): Promise<void> {
  const requests = new SavepointRequests(await connectToCluster(flags));
  const requestId = await requests.dispose(path);
  const location = await awaitSavepointRequest({
    what: `disposal of savepoint ${path}`,
    requestId,
    statusRoute: `/savepoint-disposal/${requestId}`,
    status: () => requests.disposalStatus(requestId),
  });
  console.error(`savepoint ${location} disposed`);
}
