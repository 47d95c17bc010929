import type { FastifyPluginCallback } from 'fastify';
import { NotFoundError } from '../../errors';
import type { JobManagerGateway, JobSubmission } from '../gateway';
import { vertexWatermarks } from '../subtask-watermarks';
import type { VertexParams } from './insight-schemas';
import { vertexParamsSchema } from './insight-schemas';
import type { JobOutputQuery, JobParams, JobPatchQuery } from './rest-schemas';
import {
  jobOutputQuerySchema,
  jobParamsSchema,
  jobPatchQuerySchema,
  jobSubmissionSchema,
} from './rest-schemas';

/** `/jobs` routes: list, submit, details, cancel, output. Input is validated before handlers run. */
export const jobRoutes: FastifyPluginCallback<{ gateway: JobManagerGateway }> = (app, { gateway }, done) => {
  app.get('/jobs', async () => ({ jobs: await gateway.listJobs() }));

  // 202: the job is accepted and scheduled asynchronously (Flink answers job submission the same way).
  app.post<{ Body: JobSubmission }>(
    '/jobs',
    { schema: { body: jobSubmissionSchema } },
    async (request, reply) => {
      const { jobId } = await gateway.submitJob(request.body);
      return reply.code(202).header('location', `/jobs/${jobId}`).send({ jobId });
    },
  );

  app.get<{ Params: JobParams }>('/jobs/:id', { schema: { params: jobParamsSchema } }, async (request) =>
    gateway.getJob(request.params.id),
  );

  app.patch<{ Params: JobParams; Querystring: JobPatchQuery }>(
    '/jobs/:id',
    { schema: { params: jobParamsSchema, querystring: jobPatchQuerySchema } },
    async (request, reply) => {
      await gateway.cancelJob(request.params.id);
      return reply.code(202).send({ jobId: request.params.id });
    },
  );

  app.get<{ Params: JobParams; Querystring: JobOutputQuery }>(
    '/jobs/:id/output',
    { schema: { params: jobParamsSchema, querystring: jobOutputQuerySchema } },
    async (request) => gateway.jobOutput(request.params.id, request.query.fromLine, request.query.fromResult),
  );
  // Flink's route: the current input watermark of each subtask of a vertex.
  app.get<{ Params: VertexParams }>(
    '/jobs/:id/vertices/:vertexId/watermarks',
    { schema: { params: vertexParamsSchema } },
    async (request) => {
      const job = await gateway.getJob(request.params.id);
      const vertex = job.vertices.find((v) => v.id === request.params.vertexId);
      if (!vertex) throw new NotFoundError(`job ${job.jobId} has no vertex ${request.params.vertexId}`);
      return vertexWatermarks(vertex);
    },
  );
  done();
};
