import type { Command } from 'commander';
import type { RestClient } from '../client/rest-client';
import { NotFoundError } from '../errors';
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
    const requestId = await requestCheckpoint(client, jobId);
    const { checkpointId, externalPath } = await waitForCheckpoint(client, jobId, requestId);
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ jobId, checkpointId, externalPath }, null, 2)}\n`
        : `checkpoint ${checkpointId} of job ${jobId} completed: ${externalPath}\n`,
    );
  });
}

/** `POST /jobs/:id/checkpoints`, with a clear error from a job manager that has no such route. */
async function requestCheckpoint(client: RestClient, jobId: string): Promise<string> {
  // An unknown job is a 404 naming it; a 404 after that means the route is missing.
  await client.getJob(jobId);
  try {
    return (await client.requestCheckpoint(jobId)).requestId;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    throw new NotFoundError(
      `the job manager at ${client.url} has no checkpoint API (POST /jobs/:id/checkpoints): it predates checkpoints`,
    );
  }
}

/**
 * Waits for a triggered checkpoint, telling progress on stderr: a line rewritten in place on a terminal,
 * one plain line otherwise. Ctrl-C stops waiting (the checkpoint goes on): exit 130.
 */
async function waitForCheckpoint(
  client: RestClient,
  jobId: string,
  requestId: string,
): Promise<{ checkpointId: number; externalPath: string }> {
  const tty = process.stderr.isTTY === true;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  let progressShown = false;
  const clearProgress = (): void => {
    if (tty && progressShown) process.stderr.write('\r\x1b[K');
    progressShown = false;
  };
  try {
    if (!tty) console.error(`checkpoint of job ${jobId} triggered (request ${requestId}), waiting for it`);
    return await client.awaitCheckpoint(jobId, requestId, {
      signal: controller.signal,
      onProgress: (_status, elapsedMs) => {
        if (tty)
          process.stderr.write(
            `\r\x1b[Kcheckpoint of job ${jobId} in progress… ${formatDuration(elapsedMs)}`,
          );
        progressShown = true;
      },
    });
  } catch (err) {
    clearProgress();
    if (err instanceof NotFoundError) {
      throw new NotFoundError(
        `the job manager no longer knows checkpoint request ${requestId} of job ${jobId} (did it restart?): see sluice info ${jobId}`,
      );
    }
    if (!controller.signal.aborted) throw err;
    console.error(
      `stopped waiting: the checkpoint of job ${jobId} goes on; its status: GET /jobs/${jobId}/checkpoints/${requestId}`,
    );
    throw new CliExit(DETACHED_BY_SIGINT_EXIT_CODE);
  } finally {
    clearProgress();
    process.removeListener('SIGINT', onSigint);
  }
}
