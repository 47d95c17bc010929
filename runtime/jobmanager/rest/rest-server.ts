import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { LogController, fastify } from 'fastify';
import type { Logger } from '../../util/logger';
import { createLogger } from '../../util/logger';
import type { JobManagerGateway } from '../gateway';
import { artifactRoutes } from './artifact-routes';
import { registerBearerAuth } from './bearer-auth';
import { clusterRoutes } from './cluster-routes';
import { dashboardRoutes } from './dashboard-routes';
import type { InsightRoutesOptions } from './insight-routes';
import { insightRoutes } from './insight-routes';
import { metricsRoutes } from './metrics-routes';
import { errorReply } from './error-reply';
import { jobRoutes } from './job-routes';
import { zodValidatorCompiler } from './zod-validator';

export const DEFAULT_MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;

export interface RestServerOptions {
  /** The job manager the routes talk to; it owns the semantics, the server only translates. */
  readonly gateway: JobManagerGateway;
  /** Bearer token every route but `/healthz` requires (`rest.token`). */
  readonly token: string;
  /** Largest JSON body (`rest.max-body-size`); larger is a 413. */
  readonly maxBodyBytes: number;
  /** Largest job bundle accepted by `PUT /artifacts/:sha256` (default 64 MiB). */
  readonly maxArtifactBytes?: number;
  readonly logger?: Logger;
  /** The read-only routes the dashboard needs (plans, failure history, logs, config); off when absent. */
  readonly insight?: Omit<InsightRoutesOptions, 'gateway'>;
}

/**
 * The job manager's REST API (Flink-style paths, DESIGN §11). Returns the instance without
 * listening: the caller chooses address and port with `listen`, tests use `inject`.
 * Errors are always JSON `{ code, message }`.
 */
export function createRestServer(options: RestServerOptions): FastifyInstance {
  // Typed as fastify's base logger so the instance is a plain `FastifyInstance`.
  const loggerInstance: FastifyBaseLogger = options.logger ?? createLogger('rest');
  const app = fastify({
    loggerInstance,
    bodyLimit: options.maxBodyBytes,
    // Clients poll job output; one log line per request would drown everything else.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  // JSON only (artifact routes add their own raw parsers): anything else is a 415, not a string body.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err, request, reply) => {
    const { status, body, unexpected } = errorReply(err);
    if (unexpected) {
      request.log.error({ err, method: request.method, url: request.url }, 'REST request failed');
    } else {
      request.log.debug({ status, code: body.code, url: request.url }, 'REST request refused');
    }
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ code: 'SLUICE_NOT_FOUND', message: `no route ${request.method} ${routePath(request.url)}` }),
  );
  registerBearerAuth(app, options.token);
  void app.register(clusterRoutes, { gateway: options.gateway });
  void app.register(jobRoutes, { gateway: options.gateway });
  void app.register(metricsRoutes, { gateway: options.gateway });
  if (options.insight) void app.register(insightRoutes, { gateway: options.gateway, ...options.insight });
  void app.register(dashboardRoutes);
  void app.register(artifactRoutes, {
    gateway: options.gateway,
    maxArtifactBytes: options.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES,
  });
  return app;
}

/** The path of a request URL, without the query and bounded (it is echoed back to the client). */
function routePath(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path.length <= 200 ? path : `${path.slice(0, 199)}…`;
}
