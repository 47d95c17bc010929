import type { Command } from 'commander';
import type { RestClient } from '../client/rest-client';
import { CliExit } from './cli-exit';
import { connectToCluster } from './cluster-client';
import { formatDuration } from './format';
import type { ClusterFlags } from './options';
import { addClusterOptions, jobIdArgument } from './options';
import { DETACHED_BY_SIGINT_EXIT_CODE } from './run-on-cluster';

interface CheckpointOptions extends ClusterFlags {
  json?: boolean;
}

export function registerCheckpointCommand(program: Command): void {
  const command = program
    .command('checkpoint')
    .description(
      "Trigger a checkpoint of a running job now and wait for it (Flink's POST /jobs/:id/checkpoints); prints its id and location",
    )
    .argument('<jobId>', 'id of the job (see sluice list)', jobIdArgument)
    .option('--json', 'print { jobId, checkpointId, externalPath } as JSON');
  addClusterOptions(command).action(async (jobId: string, options: CheckpointOptions) => {
    const client = await connectToCluster(options);
    const { checkpointId, externalPath } = await waitForCheckpoint(client, jobId);
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ jobId, checkpointId, externalPath }, null, 2)}\n`
        : `checkpoint ${checkpointId} of job ${jobId} completed: ${externalPath}\n`,
    );
  });
}

/**
 * Triggers and waits, telling progress on stderr: a line rewritten in place on a terminal,
 * one plain line otherwise. Ctrl-C stops waiting (the checkpoint goes on): exit 130.
 */
async function waitForCheckpoint(
  client: RestClient,
  jobId: string,
): Promise<{ checkpointId: number; externalPath: string }> {
  const tty = process.stderr.isTTY === true;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  let requestId: string | undefined;
  let progressShown = false;
  const clearProgress = (): void => {
    if (tty && progressShown) process.stderr.write('\r\x1b[K');
    progressShown = false;
  };
  try {
    return await client.triggerCheckpoint(jobId, {
      signal: controller.signal,
      onProgress: (status, elapsedMs) => {
        if (requestId === undefined && !tty) {
          console.error(`checkpoint of job ${jobId} triggered (request ${status.requestId}), waiting for it`);
        }
        requestId = status.requestId;
        if (tty)
          process.stderr.write(
            `\r\x1b[Kcheckpoint of job ${jobId} in progress… ${formatDuration(elapsedMs)}`,
          );
        progressShown = true;
      },
    });
  } catch (err) {
    clearProgress();
    if (!controller.signal.aborted) throw err;
    const where = requestId ? `; its status: GET /jobs/${jobId}/checkpoints/${requestId}` : '';
    console.error(`stopped waiting: the checkpoint of job ${jobId} goes on${where}`);
    throw new CliExit(DETACHED_BY_SIGINT_EXIT_CODE);
  } finally {
    clearProgress();
    process.removeListener('SIGINT', onSigint);
  }
}
