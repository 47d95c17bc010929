import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ConfigError, UnauthorizedError } from '../../errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route anyone may call without a token (only health checks). */
    public?: boolean;
  }
}

/**
 * Requires `Authorization: Bearer <token>` on every route not marked `config: { public: true }`,
 * including unknown paths (so the API's shape is not probed without a token). Registered once
 * on the root instance as an `onRequest` hook, before any body is read.
 */
export function registerBearerAuth(app: FastifyInstance, token: string): void {
  if (token.length === 0) throw new ConfigError('the REST API needs a non-empty bearer token (rest.token)');
  const expected = digest(token);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.public === true) return;
    const presented = bearerToken(request.headers.authorization);
    // Comparing fixed-size digests keeps the comparison constant-time even for a wrong length.
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      void reply.header('www-authenticate', 'Bearer realm="sluice"');
      throw new UnauthorizedError(
        presented === undefined ? 'a bearer token is required' : 'the bearer token is not valid',
      );
    }
  });
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
