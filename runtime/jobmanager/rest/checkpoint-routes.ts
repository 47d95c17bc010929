import type { FastifyPluginCallback } from 'fastify';
import { ConflictError, NotFoundError } from '../../errors';
import type { CheckpointGateway } from '../checkpoint-gateway';
import type { JobManagerGateway } from '../gateway';
import type { CheckpointDetailsParams, CheckpointRequestParams } from './checkpoint-schemas';
import {
  checkpointDetailsParamsSchema,
  checkpointRequestParamsSchema,
  checkpointTriggerBodySchema,
} from './checkpoint-schemas';
import { CheckpointTriggers } from './checkpoint-triggers';
import type { JobParams } from './rest-schemas';
import { jobParamsSchema } from './rest-schemas';

export interface CheckpointRoutesOptions {
  readonly gateway: JobManagerGateway;
  readonly checkpoints: CheckpointGateway;
  /** The trigger records (a fresh, default-bounded one when absent). */
  readonly triggers?: CheckpointTriggers;
}

/**
 * Flink's checkpoint routes: statistics, config, one checkpoint's details, and the asynchronous
 * manual trigger (`POST` answers 202 with a request id at once; `GET …/:requestId` says
 * IN_PROGRESS, COMPLETED with the checkpoint's id and location, or FAILED with the cause).
 * A job that is not running or does not checkpoint is refused with 409 before anything starts.
 */
export const checkpointRoutes: FastifyPluginCallback<CheckpointRoutesOptions> = (app, options, done) => {
  const { gateway, checkpoints } = options;
  const triggers =
    options.triggers ??
    new CheckpointTriggers({
      onFailure: ({ jobId, requestId, err, unexpected }) =>
        unexpected
          ? app.log.error({ err, jobId, requestId }, 'manual checkpoint failed unexpectedly')
          : app.log.warn({ err, jobId, requestId }, 'manual checkpoint failed'),
    });

  app.get<{ Params: JobParams }>(
    '/jobs/:id/checkpoints',
    { schema: { params: jobParamsSchema } },
    async (request) => checkpoints.checkpointStats(request.params.id),
  );

  app.get<{ Params: JobParams }>(
    '/jobs/:id/checkpoints/config',
    { schema: { params: jobParamsSchema } },
    async (request) => checkpoints.checkpointConfig(request.params.id),
  );

  app.get<{ Params: CheckpointDetailsParams }>(
    '/jobs/:id/checkpoints/details/:checkpointId',
    { schema: { params: checkpointDetailsParamsSchema } },
    async (request) => checkpoints.checkpointDetails(request.params.id, request.params.checkpointId),
  );

  app.post<{ Params: JobParams }>(
    '/jobs/:id/checkpoints',
    { schema: { params: jobParamsSchema, body: checkpointTriggerBodySchema } },
    async (request, reply) => {
      const jobId = request.params.id;
      const job = await gateway.getJob(jobId);
      if (!(await checkpointsEnabled(checkpoints, jobId))) {
        throw new ConflictError(
          `job ${jobId} does not checkpoint: enable it with env.enableCheckpointing(intervalMs) or execution.checkpointing.interval`,
        );
      }
      if (job.status !== 'RUNNING') {
        throw new ConflictError(`job ${jobId} is ${job.status}: only a RUNNING job can take a checkpoint`);
      }
      const requestId = triggers.track(jobId, () => checkpoints.triggerCheckpoint(jobId));
      request.log.info({ jobId, requestId }, 'manual checkpoint triggered');
      return reply
        .code(202)
        .header('location', `/jobs/${jobId}/checkpoints/${requestId}`)
        .send({ requestId });
    },
  );

  app.get<{ Params: CheckpointRequestParams }>(
    '/jobs/:id/checkpoints/:requestId',
    { schema: { params: checkpointRequestParamsSchema } },
    async (request) => {
      // An unknown job is a 404 naming the job, not the request.
      await gateway.getJob(request.params.id);
      return triggers.status(request.params.id, request.params.requestId);
    },
  );
  done();
};

/**
 * Whether a job (known to exist) checkpoints. A gateway may answer a job without checkpoint
 * settings with `NotFoundError` instead of `enabled: false`; both mean no.
 */
async function checkpointsEnabled(checkpoints: CheckpointGateway, jobId: string): Promise<boolean> {
  try {
    return (await checkpoints.checkpointConfig(jobId)).enabled;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}
