import type { FastifyPluginCallback } from 'fastify';
import type { HealthReport } from '../../services/dependency-health';
import type { JobManagerGateway } from '../gateway';

/**
 * Health, cluster overview and TaskManagers. Only `/healthz` and `/livez` are public: load
 * balancers and orchestrators probe them.
 *
 * - `/healthz` is readiness: 200 `{ status: 'UP', role, checks }` when Redis and the blob store
 *   answer, 503 with `checks` and `{ code, message }` naming the one that does not (address and
 *   cause). Probes are short and cached (see DependencyHealth), so calling it often is cheap.
 * - `/livez` is liveness: 200 whenever the process serves requests, whatever its dependencies
 *   do. The ALB checks this one (infra/README.md): replacing a job manager because Redis is down
 *   would only restart its jobs, not bring Redis back.
 */
export const clusterRoutes: FastifyPluginCallback<{
  gateway: JobManagerGateway;
  health?: (() => Promise<HealthReport>) | undefined;
}> = (app, { gateway, health }, done) => {
  app.get('/healthz', { config: { public: true } }, async (_request, reply) => {
    const report: HealthReport = health ? await health() : { status: 'UP', role: 'jobmanager', checks: {} };
    return reply.code(report.status === 'UP' ? 200 : 503).send(report);
  });
  app.get('/livez', { config: { public: true } }, async () => ({ status: 'UP' }));
  app.get('/overview', async () => gateway.overview());
  app.get('/taskmanagers', async () => ({ taskManagers: await gateway.listTaskManagers() }));
  done();
};
