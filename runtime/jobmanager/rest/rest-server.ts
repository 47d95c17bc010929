import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { LogController, fastify } from 'fastify';
import type { HealthReport } from '../../services/dependency-health';
import type { Logger } from '../../util/logger';
import { createLogger } from '../../util/logger';
import type { CheckpointGateway } from '../checkpoint-gateway';
import type { JobManagerGateway } from '../gateway';
import { artifactRoutes } from './artifact-routes';
import { registerBearerAuth } from './bearer-auth';
import { checkpointRoutes } from './checkpoint-routes';
import { savepointRoutes } from './savepoint-routes';
import type { SavepointGateway } from '../savepoint-gateway';
import { answerClientError } from './client-errors';
import { clusterRoutes } from './cluster-routes';
import { dashboardRoutes } from './dashboard-routes';
import type { InsightRoutesOptions } from './insight-routes';
import { insightRoutes } from './insight-routes';
import { metricsRoutes } from './metrics-routes';
import { errorReply } from './error-reply';
import { jobRoutes } from './job-routes';
import { zodValidatorCompiler } from './zod-validator';
import type { RestLeadership } from './standby-redirect';
import { registerStandbyRedirect } from './standby-redirect';

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
  /** Longest a client may take to send one whole request (`rest.request-timeout`, default 2 min). */
  readonly requestTimeoutMs?: number;
  /** A connection silent for this long is closed (`rest.idleness-timeout`, default 30 s). */
  readonly idleTimeoutMs?: number;
  /** Readiness of the job manager's dependencies for `GET /healthz`; without it, always UP. */
  readonly health?: () => Promise<HealthReport>;
  readonly logger?: Logger;
  /** The read-only routes the dashboard needs (plans, failure history, logs, config); off when absent. */
  readonly insight?: Omit<InsightRoutesOptions, 'gateway' | 'features'>;
  /** Checkpoint statistics and the manual trigger (`/jobs/:id/checkpoints*`); off when absent. */
  readonly checkpoints?: CheckpointGateway;
  /** Savepoint routes (`/jobs/:id/savepoints`, `/savepoint-disposal`, `/savepoints`). */
  readonly savepoints?: SavepointGateway;
  /** With leader election: a standby redirects every route but the probes to the leader. */
  readonly leadership?: RestLeadership;
}

/**
 * The job manager's REST API (Flink-style paths, docs/architecture.md §11). Returns the instance without
 * listening: the caller chooses address and port with `listen`, tests use `inject`.
 * Errors are always JSON `{ code, message }`.
 */
export function createRestServer(options: RestServerOptions): FastifyInstance {
  // Typed as fastify's base logger so the instance is a plain `FastifyInstance`.
  const loggerInstance: FastifyBaseLogger = options.logger ?? createLogger('rest');
  const requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
  const app = fastify({
    loggerInstance,
    bodyLimit: options.maxBodyBytes,
    // A client that stops sending halfway must not hold a connection (and its buffers) forever.
    requestTimeout: requestTimeoutMs,
    connectionTimeout: options.idleTimeoutMs ?? 30_000,
    // Node checks request deadlines on this period (default 30 s, longer than short timeouts).
    http: { connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs) },
    clientErrorHandler: answerClientError,
    // A URL the router cannot decode (`/jobs/%zz`): the documented error body, without echoing it.
    frameworkErrors: (err, _request, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      // The body, if any, is not read: the connection cannot be reused.
      void (reply as FastifyReply)
        .code(tooLong ? 414 : 400)
        .header('connection', 'close')
        .header('content-type', 'application/json; charset=utf-8')
        .send(
          JSON.stringify({
            code: 'SLUICE_BAD_REQUEST',
            message: tooLong
              ? 'a path parameter of the request URL is too long'
              : 'the request URL is malformed (invalid percent-encoding)',
          }),
        );
    },
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
    // A HEAD answer has no body: the same code and message travel in headers.
    if (request.method === 'HEAD') {
      void reply.header('sluice-error-code', body.code);
      void reply.header('sluice-error-message', encodeURIComponent(body.message));
    }
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ code: 'SLUICE_NOT_FOUND', message: `no route ${request.method} ${routePath(request.url)}` }),
  );
  registerBearerAuth(app, options.token);
  if (options.leadership) registerStandbyRedirect(app, options.leadership);
  void app.register(clusterRoutes, { gateway: options.gateway, health: options.health });
  void app.register(jobRoutes, { gateway: options.gateway });
  void app.register(metricsRoutes, {
    gateway: options.gateway,
    ...(options.checkpoints ? { checkpoints: options.checkpoints } : {}),
  });
  if (options.checkpoints) {
    void app.register(checkpointRoutes, { gateway: options.gateway, checkpoints: options.checkpoints });
  }
  if (options.savepoints) {
    void app.register(savepointRoutes, { gateway: options.gateway, savepoints: options.savepoints });
  }
  if (options.insight) {
    const features = {
      checkpoints: options.checkpoints !== undefined,
      savepoints: options.savepoints !== undefined,
    };
    void app.register(insightRoutes, { gateway: options.gateway, ...options.insight, features });
  }
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
