import { formatRecord } from '../api/connectors/client-sinks';
import type { JobArgs } from '../api/job';
import type { JobSettings } from '../api/job-settings';
import { restClientFor, type ResolvedTarget } from '../client/cluster-target';
import type { FollowedJob } from '../client/follow-job';
import { followJob } from '../client/follow-job';
import type { SavepointRestore } from '../client/submit-job';
import { submitJob } from '../client/submit-job';
import type { RestClient } from '../client/rest-client';
import { JobCanceledError, JobFailedError } from '../errors';
import type { JobDetails } from '../jobmanager/gateway';
import { CliExit } from './cli-exit';
import { formatDuration } from './format';

/** Exit code when Ctrl-C detaches from a followed job (the shell's code for SIGINT). */
export const DETACHED_BY_SIGINT_EXIT_CODE = 130;

export interface RunOnClusterOptions {
  readonly detached: boolean;
  readonly restore?: SavepointRestore;
  /** Poll interval while following (tests shorten it). */
  readonly pollIntervalMs?: number;
}

/**
 * `sluice run` on a job manager: builds the graph here (so a broken job fails before any
 * upload), bundles the module, uploads the bundle unless the job manager has it, submits, then
 * prints the job id (detached) or follows the job to its end. Exit: 0 FINISHED, 1 FAILED or
 * CANCELED, 130 when Ctrl-C detaches (the job keeps running).
 */
export async function runOnCluster(
  jobPath: string,
  args: JobArgs,
  settings: Partial<JobSettings>,
  target: Extract<ResolvedTarget, { kind: 'cluster' }>,
  options: RunOnClusterOptions,
): Promise<void> {
  const client = restClientFor(target);
  const submitted = await submitJob(client, jobPath, args, settings, options.restore);
  for (const warning of submitted.warnings) console.error(`warning: ${warning}`);
  if (submitted.uploadedBytes !== undefined) {
    console.error(
      `uploaded job bundle ${submitted.artifact.slice(0, 12)} (${Math.ceil(submitted.uploadedBytes / 1024)} KiB)`,
    );
  }
  const { jobId } = submitted;
  console.error(`job '${submitted.jobName}' submitted to ${client.url} as ${jobId}`);
  if (options.detached) {
    process.stdout.write(`${jobId}\n`);
    return;
  }
  await followToEnd(client, jobId, options.pollIntervalMs);
}

/**
 * Follows a job to its end: its lines on stdout as they come, its collected results after them,
 * status on stderr. Throws (exit 1) when it ends FAILED or CANCELED, CliExit(130) on Ctrl-C.
 */
export async function followToEnd(client: RestClient, jobId: string, pollIntervalMs?: number): Promise<void> {
  const followed = await followUntilEndOrCtrlC(client, jobId, pollIntervalMs);
  for (const value of followed.results) process.stdout.write(formatRecord(value) + '\n');
  reportEnd(jobId, followed.details);
}

async function followUntilEndOrCtrlC(
  client: RestClient,
  jobId: string,
  pollIntervalMs?: number,
): Promise<FollowedJob> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    return await followJob(client, jobId, {
      signal: controller.signal,
      ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
      onLines: (lines) => process.stdout.write(lines.join('\n') + '\n'),
      onDropped: (count) =>
        console.error(`(the job manager dropped ${count} output lines: the job printed more than it keeps)`),
      onNetworkError: (err) => console.error(`${err.message}; retrying`),
      onOutputRestart: printOutputRestart,
      onStatus: (details, change) => {
        if (change.restarted)
          console.error(`job ${jobId} RESTARTING (restart ${details.restarts})${failureSuffix(details)}`);
        else if (
          details.status !== 'FINISHED' &&
          details.status !== 'FAILED' &&
          details.status !== 'CANCELED'
        ) {
          console.error(
            `job ${jobId} ${details.status}${details.statusDetail ? ` (${details.statusDetail})` : ''}`,
          );
        }
      },
    });
  } catch (err) {
    if (!controller.signal.aborted) throw err;
    console.error(`detached from job ${jobId}; it keeps running. Cancel it with: sluice cancel ${jobId}`);
    throw new CliExit(DETACHED_BY_SIGINT_EXIT_CODE);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

function reportEnd(jobId: string, details: JobDetails): void {
  if (details.status === 'FAILED') {
    const jobStack = details.failure?.jobStack;
    throw new JobFailedError(`job ${jobId} FAILED${failureSuffix(details)}`, jobStack ? { jobStack } : {});
  }
  if (details.status === 'CANCELED') throw new JobCanceledError(`job ${jobId} CANCELED`);
  console.error(`job '${details.name}' (${jobId}) FINISHED in ${formatDuration(details.durationMs)}`);
}

function failureSuffix(details: JobDetails): string {
  return details.failure ? `: ${details.failure.message}` : '';
}

/**
 * Says what a restart means for printed output: the new attempt resumes from the latest
 * checkpoint (from the beginning without one), so what was printed since then is printed again;
 * print is not an exactly-once sink. Embedded and cluster runs say the same.
 */
export function printOutputRestart(attempt: number): void {
  console.error(
    `(job restarted as attempt ${attempt} from its latest checkpoint, or from the beginning without one: lines printed since then are printed again)`,
  );
}
