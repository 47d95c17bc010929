/* eslint-disable @typescript-eslint/no-explicit-any -- health reports are read field by field */
/**
 * Issue 7: a job manager whose Redis or blob store dies. `/healthz` turns 503 naming the
 * dependency (address and cause), `/overview` and job submission fail at once with a 503 that
 * names Redis instead of hanging, the client's upload names the blob store endpoint, and a job
 * manager started against an unreachable Redis is not ready. Real redis-server, fauxqs and a
 * real job manager over a real socket.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { RestClient } from '../../../runtime/client/rest-client';
import type { ResolvedConfig } from '../../../runtime/config';
import { loadConfig } from '../../../runtime/config';
import type { JobManagerProcess } from '../../../runtime/jobmanager/job-manager-process';
import { startJobManagerProcess } from '../../../runtime/jobmanager/job-manager-process';
import { S3BlobStore } from '../../../runtime/storage/s3/s3-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import type { FauxqsServer } from '../../helpers/fauxqs';
import { fauxqsS3Options, startFauxqs } from '../../helpers/fauxqs';
import { freePort } from '../../helpers/free-port';
import type { RedisServer } from '../../helpers/redis-server';
import { startRedis } from '../../helpers/redis-server';
import { runCli } from '../../helpers/cli-runner';
import { REPO_ROOT } from '../../helpers/embedded';
import { testArtifact, wordCountSubmission } from '../../helpers/rest-fixtures';

const WORD_COUNT = join(REPO_ROOT, 'functions/word-count.ts');

jest.setTimeout(60_000);

let redis: RedisServer;
let fauxqs: FauxqsServer;
const processes: JobManagerProcess[] = [];

beforeAll(async () => {
  [redis, fauxqs] = await Promise.all([startRedis(), startFauxqs()]);
});

afterAll(async () => {
  await Promise.allSettled(processes.map((p) => p.close()));
  await Promise.allSettled([redis.stop(), fauxqs.stop()]);
});

async function jobManager(
  redisUrl: string,
  bucket: string,
): Promise<{ client: RestClient; url: string; token: string }> {
  const config: ResolvedConfig = loadConfig({
    env: {},
    overrides: {
      'rest.token': randomBytes(16).toString('hex'),
      'rest.port': 0,
      'rest.address': '127.0.0.1',
      'jobmanager.rpc.port': 0,
      'high-availability.type': 'redis',
      'high-availability.redis.url': redisUrl,
      'high-availability.redis.key-prefix': `t${randomBytes(4).toString('hex')}`,
      // These tests are about the errors a leader reports while Redis or the store is down, not
      // about failover: it keeps leading for the whole test (a leader that cannot renew steps
      // down after the renew deadline, and its REST then names Redis for every route).
      'high-availability.redis.leader-election.lease-duration': 120_000,
      'high-availability.redis.leader-election.renew-deadline': 110_000,
      'high-availability.redis.leader-election.retry-period': 2_000,
      'storage.type': 's3',
      's3.bucket': bucket,
      's3.endpoint': fauxqs.endpoint,
      's3.region': fauxqsS3Options(fauxqs.endpoint).region,
      's3.path-style-access': true,
      's3.access-key': fauxqsS3Options(fauxqs.endpoint).credentials.accessKeyId,
      's3.secret-key': fauxqsS3Options(fauxqs.endpoint).credentials.secretAccessKey,
    },
  });
  const jm = await startJobManagerProcess(config);
  processes.push(jm);
  const token = config['rest.token']!;
  return { client: new RestClient({ url: jm.restUrl, token }), url: jm.restUrl, token };
}

async function newBucket(): Promise<string> {
  const bucket = `sluice-${randomBytes(4).toString('hex')}`;
  await new S3BlobStore({ bucket, ...fauxqsS3Options(fauxqs.endpoint) }).ensureBucket();
  return bucket;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

test('a job manager started against an unreachable Redis is not ready and says why', async () => {
  const deadPort = await freePort();
  const { url } = await jobManager(`redis://127.0.0.1:${deadPort}`, await newBucket());
  const response = await fetch(`${url}/healthz`);
  expect(response.status).toBe(503);
  const report = (await response.json()) as Record<string, any>;
  expect(report).toMatchObject({
    status: 'DOWN',
    role: 'jobmanager',
    code: 'SLUICE_UNAVAILABLE',
    checks: { redis: { status: 'DOWN', address: `127.0.0.1:${deadPort}` }, blobStore: { status: 'UP' } },
  });
  // Refused, or (on a starved machine) the connect timeout that fires first.
  expect(report.checks.redis.cause).toMatch(/ECONNREFUSED|ETIMEDOUT/);
  expect(report.message).toMatch(
    new RegExp(`^Redis unreachable at 127\\.0\\.0\\.1:${deadPort}: .*(ECONNREFUSED|ETIMEDOUT)`),
  );
});

test('Redis killed: /healthz 503, /overview and submission fail fast naming Redis; the store killed: uploads name it', async () => {
  const doomedRedis = await startRedis();
  const { client, url, token } = await jobManager(doomedRedis.url, await newBucket());
  const cli = ['--rest-url', url, '--token', token];
  const up = (await (await fetch(`${url}/healthz`)).json()) as Record<string, any>;
  expect(up).toMatchObject({
    status: 'UP',
    checks: { redis: { status: 'UP' }, blobStore: { status: 'UP' } },
  });
  const artifact = testArtifact();
  await client.putArtifact(artifact.sha256, artifact.body);

  await doomedRedis.stop();
  const address = `127.0.0.1:${doomedRedis.port}`;
  await waitFor(async () => (await fetch(`${url}/healthz`)).status === 503, { what: '/healthz to turn 503' });

  const started = Date.now();
  const overview = await failureOf(client.overview());
  expect(overview).toMatchObject({ status: 503, code: 'SLUICE_UNAVAILABLE' });
  expect((overview as Error).message).toMatch(
    new RegExp(`^Redis unreachable at ${address.replace(/\./g, '\\.')}: `),
  );
  // The Prometheus scrape reads the same overview: it fails as fast, naming Redis, instead of hanging.
  const scrape = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(scrape.status).toBe(503);
  expect(await scrape.json()).toMatchObject({
    code: 'SLUICE_UNAVAILABLE',
    message: expect.stringContaining(`Redis unreachable at ${address}`),
  });
  const submission = await failureOf(client.submitJob(wordCountSubmission(artifact.sha256)));
  expect(submission).toMatchObject({ status: 503, code: 'SLUICE_UNAVAILABLE' });
  expect((submission as Error).message).toContain(`Redis unreachable at ${address}`);
  // Fast: nothing waits for Redis to come back (the probe timeout is 1 s, a connect 2 s).
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(await client.listJobs()).toEqual([]);
  // The CLI says the same: which dependency, where, why.
  const run = await runCli(['run', WORD_COUNT, '-d', ...cli]);
  expect(run.code).not.toBe(0);
  expect(run.stderr).toContain(`Redis unreachable at ${address}`);

  await fauxqs.stop();
  const upload = await failureOf(client.hasArtifact(testArtifact('other').sha256));
  expect(upload).toMatchObject({ status: 503, code: 'SLUICE_UNAVAILABLE' });
  expect((upload as Error).message).toContain(`blob store unreachable at ${fauxqs.endpoint}`);
  // `sluice run` with the S3 emulator gone names the blob store, not "answered 500".
  const runWithoutStore = await runCli(['run', WORD_COUNT, '-d', ...cli]);
  expect(runWithoutStore.code).not.toBe(0);
  expect(runWithoutStore.stderr).toContain(`blob store unreachable at ${fauxqs.endpoint}`);
  await waitFor(
    async () => ((await (await fetch(`${url}/healthz`)).json()) as any).checks.blobStore.status === 'DOWN',
    { what: 'the blob store to show DOWN' },
  );
});
