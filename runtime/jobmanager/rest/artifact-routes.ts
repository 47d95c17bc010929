import type { FastifyPluginCallback } from 'fastify';
import { RestApiError } from '../../errors';
import type { JobManagerGateway } from '../gateway';
import type { ArtifactParams } from './rest-schemas';
import { artifactParamsSchema } from './rest-schemas';

export const ARTIFACT_CONTENT_TYPES = ['application/octet-stream', 'application/javascript'] as const;

/**
 * `PUT` and `HEAD /artifacts/:sha256`: job bundles, content-addressed. Registered as its own
 * plugin so its raw-body parsers (and larger body limit) apply to these routes only: JSON is
 * not accepted here, and raw bytes are not accepted anywhere else.
 */
export const artifactRoutes: FastifyPluginCallback<{
  gateway: JobManagerGateway;
  maxArtifactBytes: number;
}> = (app, { gateway, maxArtifactBytes }, done) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    [...ARTIFACT_CONTENT_TYPES],
    { parseAs: 'buffer', bodyLimit: maxArtifactBytes },
    (_req, body, next) => next(null, body),
  );

  app.put<{ Params: ArtifactParams }>(
    '/artifacts/:sha256',
    { bodyLimit: maxArtifactBytes, schema: { params: artifactParamsSchema } },
    async (request, reply) => {
      // A PUT without any body and content type reaches here with no body at all.
      if (!Buffer.isBuffer(request.body)) {
        throw new RestApiError(
          'SLUICE_UNSUPPORTED_MEDIA_TYPE',
          415,
          `an artifact is sent as ${ARTIFACT_CONTENT_TYPES.join(' or ')}`,
        );
      }
      const body = request.body;
      // The gateway checks the digest: a bundle is stored only under the hash of its bytes.
      await gateway.putArtifact(
        request.params.sha256,
        new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      );
      return reply.code(201).send({ sha256: request.params.sha256 });
    },
  );

  app.head<{ Params: ArtifactParams }>(
    '/artifacts/:sha256',
    { schema: { params: artifactParamsSchema } },
    async (request, reply) =>
      reply.code((await gateway.hasArtifact(request.params.sha256)) ? 200 : 404).send(),
  );
  done();
};
