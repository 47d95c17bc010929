import type { FastifyPluginCallback } from 'fastify';
import type { ResolvedConfig } from '../../config';
import { redactConfig } from '../../config/redact';
import { NotFoundError } from '../../errors';
import type { JobManagerGateway, JobSummary } from '../gateway';
import type { InsightGateway } from '../insight-gateway';
import type { JobParams } from './rest-schemas';
import { jobParamsSchema } from './rest-schemas';
import type { LogQuery, TaskManagerParams, VertexParams } from './insight-schemas';
import { logQuerySchema, taskManagerParamsSchema, vertexParamsSchema } from './insight-schemas';

/** Flink's `web.refresh-interval` default: how often the dashboard polls. */
export const DASHBOARD_REFRESH_INTERVAL_MS = 3_000;

export interface InsightRoutesOptions {
  readonly gateway: JobManagerGateway;
  readonly insight: InsightGateway;
  /** The job manager's resolved config; served with secrets masked. */
  readonly config: ResolvedConfig;
  readonly version: string;
  /** When the job manager started (epoch ms), for its uptime. */
  readonly startedAt: number;
  /** Which optional route groups this server has (the dashboard shows their views only then). */
  readonly features?: { readonly checkpoints?: boolean; readonly savepoints?: boolean };
}

/**
 * Read-only routes the dashboard needs, with Flink's paths and shapes where Flink has them:
 * jobs overview, plan, exceptions, vertex details, one TaskManager and its log tail, the job
 * manager's config and the dashboard's own `/config`. All need the bearer token.
 */
export const insightRoutes: FastifyPluginCallback<InsightRoutesOptions> = (app, options, done) => {
  const { gateway, insight } = options;

  app.get('/config', async () => ({
    'refresh-interval': DASHBOARD_REFRESH_INTERVAL_MS,
    'sluice-version': options.version,
    'started-at': options.startedAt,
    'uptime-ms': Date.now() - options.startedAt,
    now: Date.now(),
    // What the dashboard may show.
    features: {
      'web-cancel': true,
      'web-submit': false,
      checkpoints: options.features?.checkpoints ?? false,
      savepoints: options.features?.savepoints ?? false,
      watermarks: true,
    },
  }));

  app.get('/jobmanager/config', async () =>
    Object.entries(redactConfig(options.config))
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) }))
      .sort((a, b) => a.key.localeCompare(b.key)),
  );

  app.get('/jobs/overview', async () => ({ jobs: (await gateway.listJobs()).map(flinkJobOverview) }));

  app.get<{ Params: JobParams }>('/jobs/:id/plan', { schema: { params: jobParamsSchema } }, async (request) =>
    insight.jobPlan(request.params.id),
  );

  app.get<{ Params: JobParams }>(
    '/jobs/:id/exceptions',
    { schema: { params: jobParamsSchema } },
    async (request) => insight.jobExceptions(request.params.id),
  );

  app.get<{ Params: VertexParams }>(
    '/jobs/:id/vertices/:vertexId',
    { schema: { params: vertexParamsSchema } },
    async (request) => {
      const job = await gateway.getJob(request.params.id);
      const vertex = job.vertices.find((v) => v.id === request.params.vertexId);
      if (!vertex) throw new NotFoundError(`job ${job.jobId} has no vertex ${request.params.vertexId}`);
      return { ...vertex, now: Date.now() };
    },
  );

  app.get<{ Params: TaskManagerParams }>(
    '/taskmanagers/:id',
    { schema: { params: taskManagerParamsSchema } },
    async (request) => {
      const tm = (await gateway.listTaskManagers()).find((t) => t.id === request.params.id);
      if (!tm) throw new NotFoundError(`no TaskManager with id ${request.params.id}`);
      return { ...tm, now: Date.now() };
    },
  );

  app.get<{ Params: TaskManagerParams; Querystring: LogQuery }>(
    '/taskmanagers/:id/logs',
    { schema: { params: taskManagerParamsSchema, querystring: logQuerySchema } },
    async (request) => insight.taskManagerLogs(request.params.id, request.query.lines),
  );
  done();
};

/** One job in Flink's `GET /jobs/overview` shape (kebab-case keys, task counts by state). */
function flinkJobOverview(job: JobSummary): Record<string, unknown> {
  const counts = Object.fromEntries(Object.entries(job.tasks).map(([state, n]) => [state.toLowerCase(), n]));
  const total = Object.values(job.tasks).reduce<number>((sum, n) => sum + (n ?? 0), 0);
  return {
    jid: job.jobId,
    name: job.name,
    state: job.status,
    'start-time': job.startTime,
    'end-time': job.endTime ?? -1,
    duration: job.durationMs,
    tasks: { total, ...counts },
  };
}
