import type { JobCheckpoints } from './job-checkpoints';
import type { JobMasterContext } from './job-master-context';
import { recordJobResult } from './job-result-store';

/** The job that ended, as its clean-up needs it. */
export interface EndedJob {
  readonly jobId: string;
  readonly name: string;
  readonly exchange: 'tcp' | 'sqs';
  readonly startTime: number;
  readonly endTime: number;
  readonly restarts: number;
  readonly checkpoints: JobCheckpoints | undefined;
}

/**
 * What follows a job's end (FINISHED, FAILED or CANCELED) on the job manager that ran it: its
 * result is recorded (fenced: only by the leader), its checkpoints are kept or deleted by the
 * retention rule, its TaskManagers (per-job mode) and exchange resources are released. Clean-up
 * failures are logged; the job's status stands.
 */
export async function cleanUpEndedJob(
  ctx: JobMasterContext,
  job: EndedJob,
  status: 'FINISHED' | 'FAILED' | 'CANCELED',
): Promise<void> {
  const { jobId } = job;
  if (ctx.jobResults) {
    const { name, startTime, endTime, restarts } = job;
    await recordJobResult(
      ctx.jobResults,
      { jobId, name, status, startTime, endTime, restarts },
      ctx.assertLeader ?? (async () => undefined),
      ctx.logger,
    );
  }
  await job.checkpoints
    ?.onJobEnded(status)
    .catch((err: unknown) =>
      ctx.logger.warn({ jobId, err }, 'checkpoint retention after the job ended failed'),
    );
  await ctx.pool?.release(jobId);
  await ctx
    .onJobEnded?.(jobId, job.exchange)
    .catch((err: unknown) => ctx.logger.warn({ jobId, err }, 'cleaning up after the job failed'));
  ctx.logger.info({ jobId, status, restarts: job.restarts }, 'job ended');
}
