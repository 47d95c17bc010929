import type { FastifyPluginCallback } from 'fastify';
import type { JobManagerGateway } from '../gateway';

/** Health, cluster overview and TaskManagers. Only `/healthz` is public: load balancers probe it. */
export const clusterRoutes: FastifyPluginCallback<{ gateway: JobManagerGateway }> = (
  app,
  { gateway },
  done,
) => {
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/overview', async () => gateway.overview());
  app.get('/taskmanagers', async () => ({ taskManagers: await gateway.listTaskManagers() }));
  done();
};
