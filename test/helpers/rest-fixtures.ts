import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { prepareJob } from '../../runtime/client/prepare-job';
import { defaultConfig, withOverrides } from '../../runtime/config/load-config';
import type { JobSubmission } from '../../runtime/jobmanager/gateway';
import { createRestServer } from '../../runtime/jobmanager/rest/rest-server';
import { functionJob } from './embedded';
import { TestingJobManagerGateway } from './testing-gateway';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** A small artifact and its digest (the testing gateway checks the digest, not the content). */
export function testArtifact(text = 'module.exports = {};\n'): { body: Buffer; sha256: string } {
  const body = Buffer.from(text);
  return { body, sha256: createHash('sha256').update(body).digest('hex') };
}

/** A valid submission: word-count's real job graph at parallelism 2 and the given artifact. */
export function wordCountSubmission(artifact: string): JobSubmission {
  const { jobGraph, code } = prepareJob(
    functionJob('word-count'),
    { input: 'README.md' },
    { parallelism: 2 },
  );
  return { jobGraph, artifact, args: code.args, buildSettings: code.buildSettings };
}

/**
 * A REST server over a fresh testing gateway (its checkpoint side included); `close` it after
 * the test. `insight` adds the dashboard's read-only routes and `/config`.
 */
export function restServerWithGateway(
  options: { maxBodyBytes?: number; maxArtifactBytes?: number; insight?: boolean } = {},
): {
  app: FastifyInstance;
  gateway: TestingJobManagerGateway;
} {
  const gateway = new TestingJobManagerGateway();
  const app = createRestServer({
    gateway,
    token: TEST_TOKEN,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    ...(options.maxArtifactBytes !== undefined ? { maxArtifactBytes: options.maxArtifactBytes } : {}),
    checkpoints: gateway.checkpoints,
    ...(options.insight
      ? {
          insight: {
            insight: gateway,
            config: withOverrides(defaultConfig(), { 'rest.token': TEST_TOKEN }),
            version: '0.0.0-testing',
            startedAt: Date.now(),
          },
        }
      : {}),
  });
  return { app, gateway };
}

/** Starts a REST server on a free loopback port; returns its base URL. */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 });
}
