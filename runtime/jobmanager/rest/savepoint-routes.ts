import type { FastifyPluginCallback } from 'fastify';
import { z } from 'zod';
import type { JobManagerGateway } from '../gateway';
import type { SavepointGateway } from '../savepoint-gateway';
import type { CheckpointTriggerStatus } from './checkpoint-triggers';
import { CheckpointTriggers } from './checkpoint-triggers';
import { checkpointRequestIdSchema } from './checkpoint-schemas';
import type { JobParams } from './rest-schemas';
import { jobIdSchema, jobParamsSchema } from './rest-schemas';

const locationSchema = z.string().min(1).max(1024);
const savepointTriggerBodySchema = z
  .strictObject({ targetDirectory: locationSchema.optional(), cancelJob: z.boolean().optional() })
  .nullish();
const stopBodySchema = z
  .strictObject({ targetDirectory: locationSchema.optional(), drain: z.boolean().optional() })
  .nullish();
const disposalBodySchema = z.strictObject({ savepointPath: locationSchema });
const savepointRequestParamsSchema = z.object({ id: jobIdSchema, requestId: checkpointRequestIdSchema });
const detailsQuerySchema = z.strictObject({ path: locationSchema });
const disposalParamsSchema = z.object({ requestId: checkpointRequestIdSchema });
type SavepointTriggerBody = z.infer<typeof savepointTriggerBodySchema>;

/** Disposals are tracked per cluster, not per job: one pseudo job id keys their records. */
const DISPOSALS = 'savepoint-disposal';

/** Flink's savepoint status shape: `location` for a completed one. */
function savepointStatus(status: CheckpointTriggerStatus): object {
  if (status.status !== 'COMPLETED') return status;
  return { requestId: status.requestId, status: 'COMPLETED', location: status.externalPath };
}

/**
 * Flink's savepoint routes, asynchronous with request ids like the checkpoint trigger:
 * `POST /jobs/:id/savepoints {targetDirectory?, cancelJob?}` → 202 `{requestId}`;
 * `GET /jobs/:id/savepoints/:requestId` → IN_PROGRESS, COMPLETED with `location`, or FAILED
 * with the cause; `POST /savepoint-disposal {savepointPath}` and its status; and
 * `GET /savepoints`, the savepoints in the store, and `GET /savepoints/details?path=` (both
 * Sluice's own). `POST /jobs/:id/stop {targetDirectory?, drain?}` is stop-with-savepoint:
 * COMPLETED once the job FINISHED. A location outside the
 * savepoint location rule is refused with 400 before anything starts.
 */
export const savepointRoutes: FastifyPluginCallback<{
  gateway: JobManagerGateway;
  savepoints: SavepointGateway;
}> = (app, { gateway, savepoints }, done) => {
  const triggers = new CheckpointTriggers({
    onFailure: ({ jobId, requestId, err, unexpected }) =>
      unexpected
        ? app.log.error({ err, jobId, requestId }, 'savepoint request failed unexpectedly')
        : app.log.warn({ err, jobId, requestId }, 'savepoint request failed'),
  });

  app.post<{ Params: JobParams; Body: SavepointTriggerBody }>(
    '/jobs/:id/savepoints',
    { schema: { params: jobParamsSchema, body: savepointTriggerBodySchema } },
    async (request, reply) => {
      const jobId = request.params.id;
      const dir = await savepoints.savepointDirFor(jobId, request.body?.targetDirectory);
      const cancelJob = request.body?.cancelJob ?? false;
      const requestId = triggers.track(jobId, () => savepoints.triggerSavepoint(jobId, dir, cancelJob));
      request.log.info({ jobId, requestId, dir, cancelJob }, 'savepoint triggered');
      return reply.code(202).header('location', `/jobs/${jobId}/savepoints/${requestId}`).send({ requestId });
    },
  );

  // Flink's stop-with-savepoint: its status is read like a savepoint's (same request ids).
  app.post<{ Params: JobParams; Body: z.infer<typeof stopBodySchema> }>(
    '/jobs/:id/stop',
    { schema: { params: jobParamsSchema, body: stopBodySchema } },
    async (request, reply) => {
      const jobId = request.params.id;
      const dir = await savepoints.savepointDirFor(jobId, request.body?.targetDirectory);
      const drain = request.body?.drain ?? false;
      const requestId = triggers.track(jobId, () => savepoints.stopWithSavepoint(jobId, dir, drain));
      request.log.info({ jobId, requestId, dir, drain }, 'stop with savepoint triggered');
      return reply.code(202).header('location', `/jobs/${jobId}/savepoints/${requestId}`).send({ requestId });
    },
  );

  app.get<{ Params: z.infer<typeof savepointRequestParamsSchema> }>(
    '/jobs/:id/savepoints/:requestId',
    { schema: { params: savepointRequestParamsSchema } },
    async (request) => {
      await gateway.getJob(request.params.id);
      return savepointStatus(triggers.status(request.params.id, request.params.requestId));
    },
  );

  app.post<{ Body: z.infer<typeof disposalBodySchema> }>(
    '/savepoint-disposal',
    { schema: { body: disposalBodySchema } },
    async (request, reply) => {
      const { savepointPath } = request.body;
      await savepoints.checkSavepointLocation(savepointPath);
      const requestId = triggers.track(DISPOSALS, async () => ({
        checkpointId: 0,
        externalPath: await savepoints.disposeSavepoint(savepointPath),
      }));
      request.log.info({ requestId, savepointPath }, 'savepoint disposal triggered');
      return reply.code(202).header('location', `/savepoint-disposal/${requestId}`).send({ requestId });
    },
  );

  app.get<{ Params: z.infer<typeof disposalParamsSchema> }>(
    '/savepoint-disposal/:requestId',
    { schema: { params: disposalParamsSchema } },
    async (request) => savepointStatus(triggers.status(DISPOSALS, request.params.requestId)),
  );

  app.get('/savepoints', async () => ({ savepoints: await savepoints.listSavepoints() }));

  // Sluice's own: one savepoint's `_metadata` summarised (the dashboard's details view).
  app.get<{ Querystring: z.infer<typeof detailsQuerySchema> }>(
    '/savepoints/details',
    { schema: { querystring: detailsQuerySchema } },
    async (request) => savepoints.inspectSavepoint(request.query.path),
  );
  done();
};
