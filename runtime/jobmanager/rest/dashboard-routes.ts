import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import type { DashboardAssets, DashboardLocations } from '../dashboard/dashboard-assets';
import {
  DEFAULT_DASHBOARD_LOCATIONS,
  dashboardPage,
  loadDashboardAssets,
} from '../dashboard/dashboard-assets';

/**
 * Only the page itself and its own scripts and styles: everything the browser may load, and
 * nothing else (data comes from the API with the token).
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The dashboard (issue 13) at `/`: the page, its script and its stylesheet. These routes are
 * public: they hold no data, and the page asks for the token before it fetches any.
 * Assets are loaded on the first request and kept; a failure is logged and retried next time.
 */
export const dashboardRoutes: FastifyPluginCallback<{ locations?: DashboardLocations }> = (
  app,
  options,
  done,
) => {
  let assets: Promise<DashboardAssets> | undefined;
  const load = (): Promise<DashboardAssets> => {
    assets ??= loadDashboardAssets(options.locations ?? DEFAULT_DASHBOARD_LOCATIONS).catch((err: unknown) => {
      assets = undefined;
      app.log.error({ err }, 'loading the dashboard assets failed');
      throw err;
    });
    return assets;
  };
  const send = (reply: FastifyReply, type: string, body: string | Uint8Array, cache: string): FastifyReply =>
    reply
      .headers(SECURITY_HEADERS)
      .header('content-type', type)
      .header('cache-control', cache)
      .send(typeof body === 'string' ? body : Buffer.from(body));

  const publicRoute = { config: { public: true } };
  app.get('/', publicRoute, async (_request, reply) =>
    send(reply, 'text/html; charset=utf-8', dashboardPage((await load()).version), 'no-cache'),
  );
  // Versioned URLs (`?v=<hash>`): a browser may keep them.
  app.get('/dashboard/app.js', publicRoute, async (_request, reply) =>
    send(reply, 'text/javascript; charset=utf-8', (await load()).js, 'public, max-age=86400'),
  );
  app.get('/dashboard/app.css', publicRoute, async (_request, reply) =>
    send(reply, 'text/css; charset=utf-8', (await load()).css, 'public, max-age=86400'),
  );
  done();
};
