/**
 * RestClient against the real REST server (over a loopback socket) backed by the testing
 * gateway, plus tiny raw HTTP servers for what a job manager never does (hang, answer HTML).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { RestClient } from '../../../runtime/client/rest-client';
import { normalizeRestUrl } from '../../../runtime/client/rest-url';
import {
  BadRequestError,
  ConfigError,
  ConflictError,
  NetworkError,
  NotFoundError,
  NotLeaderError,
  RestApiError,
  UnauthorizedError,
} from '../../../runtime/errors';
import { freePort } from '../../helpers/free-port';
import {
  TEST_TOKEN,
  listenOnLoopback,
  restServerWithGateway,
  testArtifact,
  wordCountSubmission,
} from '../../helpers/rest-fixtures';
import type { TestingJobManagerGateway } from '../../helpers/testing-gateway';

let app: FastifyInstance;
let gateway: TestingJobManagerGateway;
let url: string;
let client: RestClient;
const rawServers: http.Server[] = [];

beforeEach(async () => {
  ({ app, gateway } = restServerWithGateway({ maxArtifactBytes: 16 * 1024 }));
  url = await listenOnLoopback(app);
  client = new RestClient({ url, token: TEST_TOKEN });
});

afterEach(async () => {
  await app.close();
  for (const server of rawServers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function rawServer(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  rawServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function submitted(): Promise<string> {
  const artifact = testArtifact();
  await client.putArtifact(artifact.sha256, artifact.body);
  return (await client.submitJob(wordCountSubmission(artifact.sha256))).jobId;
}

test('every method round-trips through the server to the gateway', async () => {
  expect(await client.health()).toEqual({ status: 'UP', role: 'jobmanager', checks: {} });
  expect(await client.overview()).toMatchObject({ version: '0.0.0-testing', taskManagers: 0 });
  expect(await client.listTaskManagers()).toEqual([]);

  const artifact = testArtifact('exports.x = 1;');
  expect(await client.hasArtifact(artifact.sha256)).toBe(false);
  await client.putArtifact(artifact.sha256, new Uint8Array(artifact.body));
  expect(await client.hasArtifact(artifact.sha256)).toBe(true);

  const { jobId } = await client.submitJob(wordCountSubmission(artifact.sha256));
  expect(jobId).toMatch(/^[0-9a-f]{32}$/);
  expect((await client.listJobs()).map((j) => j.jobId)).toEqual([jobId]);
  gateway.setStatus(jobId, 'RUNNING');
  gateway.emit(jobId, { lines: ['a 1', 'b 1'], results: [[1, 'x']] });
  expect(await client.jobOutput(jobId, 1, 0)).toMatchObject({
    lines: ['b 1'],
    results: [[1, 'x']],
    nextLine: 2,
    nextResult: 1,
  });
  expect(await client.getJob(jobId)).toMatchObject({ jobId, status: 'RUNNING', name: 'word-count' });
  await client.cancelJob(jobId);
  expect(gateway.job(jobId).status).toBe('CANCELED');
  expect(gateway.calls).toEqual([
    'overview',
    'listTaskManagers',
    'hasArtifact',
    'putArtifact',
    'hasArtifact',
    'submitJob',
    'listJobs',
    'jobOutput',
    'getJob',
    'cancelJob',
  ]);
});

test('server errors become typed errors carrying the server message', async () => {
  const jobId = await submitted();
  const missing = '0'.repeat(32);
  await expect(client.getJob(missing)).rejects.toThrow(new NotFoundError(`job ${missing} not found`));
  await expect(client.getJob(missing)).rejects.toBeInstanceOf(NotFoundError);
  gateway.setStatus(jobId, 'FINISHED');
  await expect(client.cancelJob(jobId)).rejects.toBeInstanceOf(ConflictError);
  const bad = await client.getJob('nope').catch((e: unknown) => e);
  expect(bad).toBeInstanceOf(BadRequestError);
  expect((bad as Error).message).toContain('id: must be a job id');

  gateway.failNextCall = new Error('boom');
  const internal = await client.overview().catch((e: unknown) => e);
  expect(internal).toBeInstanceOf(RestApiError);
  expect(internal).toMatchObject({ status: 500, code: 'SLUICE_INTERNAL', retryable: true });
});

test('an artifact over the limit is a RestApiError 413', async () => {
  const big = testArtifact('z'.repeat(17 * 1024));
  const err = await client.putArtifact(big.sha256, big.body).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RestApiError);
  expect(err).toMatchObject({ status: 413, code: 'SLUICE_PAYLOAD_TOO_LARGE' });
});

test('a missing token and a wrong token say so, with the hint', async () => {
  const anonymous = new RestClient({ url });
  const missing = await anonymous.listJobs().catch((e: unknown) => e);
  expect(missing).toBeInstanceOf(UnauthorizedError);
  expect((missing as Error).message).toBe(
    `the job manager at ${url} requires a token: pass --token or set SLUICE_TOKEN`,
  );
  expect(await anonymous.health()).toEqual({ status: 'UP', role: 'jobmanager', checks: {} });

  const wrong = await new RestClient({ url, token: 'nope' })
    .hasArtifact('a'.repeat(64))
    .catch((e: unknown) => e);
  expect(wrong).toBeInstanceOf(UnauthorizedError);
  expect((wrong as Error).message).toBe(
    `the job manager at ${url} rejected the token: check --token or SLUICE_TOKEN`,
  );
});

test('an unreachable job manager is a NetworkError naming the URL and the reason', async () => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  const err = await new RestClient({ url: closed, token: 't' }).listJobs().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NetworkError);
  expect((err as Error).message).toMatch(
    new RegExp(`^cannot reach the job manager at ${closed}: connect ECONNREFUSED`),
  );
});

describe('several job managers (fallbackUrls)', () => {
  test('a job manager that is gone is skipped; the client stays with the one that answered', async () => {
    const gone = `http://127.0.0.1:${await freePort()}`;
    const ha = new RestClient({ url: gone, fallbackUrls: [url], token: TEST_TOKEN });
    expect(await ha.listJobs()).toEqual([]);
    expect(ha.url).toBe(url);
    const artifact = testArtifact();
    await ha.putArtifact(artifact.sha256, artifact.body);
    const { jobId } = await ha.submitJob(wordCountSubmission(artifact.sha256));
    expect((await ha.getJob(jobId)).jobId).toBe(jobId);
  });

  test('a request that may have arrived is not sent twice: only reads go on after a timeout', async () => {
    let seenBySilent = 0;
    const silent = await rawServer(() => void seenBySilent++);
    const ha = new RestClient({ url: silent, fallbackUrls: [url], token: TEST_TOKEN, timeoutMs: 300 });
    const err = await ha.cancelJob('no-such-job').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).message).toBe(`cannot reach the job manager at ${silent}: no answer within 300 ms`);
    expect(seenBySilent).toBe(1);
    expect(await ha.listJobs()).toEqual([]);
    expect(ha.url).toBe(url);
  });

  test('when none answers, the error names each', async () => {
    const a = `http://127.0.0.1:${await freePort()}`;
    const b = `http://127.0.0.1:${await freePort()}`;
    const err = await new RestClient({ url: a, fallbackUrls: [b] }).overview().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^cannot reach any job manager: cannot reach the job manager at ${a}: connect ECONNREFUSED.*; cannot reach the job manager at ${b}: connect ECONNREFUSED`,
      ),
    );
  });
});

test('a job manager that does not answer in time is a NetworkError', async () => {
  const silent = await rawServer(() => undefined);
  const err = await new RestClient({ url: silent, timeoutMs: 200 }).overview().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NetworkError);
  expect((err as Error).message).toBe(`cannot reach the job manager at ${silent}: no answer within 200 ms`);
});

test("the caller's abort rejects with its reason, not a NetworkError", async () => {
  const silent = await rawServer(() => undefined);
  const controller = new AbortController();
  const pending = new RestClient({ url: silent }).overview({ signal: controller.signal });
  controller.abort(new Error('user detached'));
  await expect(pending).rejects.toThrow('user detached');
});

test('a non-JSON error page (a proxy) is a RestApiError by status', async () => {
  const proxy = await rawServer((_req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html>Bad Gateway</html>');
  });
  const err = await new RestClient({ url: proxy }).overview().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RestApiError);
  expect(err).toMatchObject({
    status: 502,
    code: 'SLUICE_INTERNAL',
    message: `the job manager at ${proxy} answered 502 Bad Gateway`,
  });
});

test('503 SLUICE_NOT_LEADER (a failover in progress) is a retryable NotLeaderError', async () => {
  const busy = await rawServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'SLUICE_NOT_LEADER', message: 'recovering its jobs; retry shortly' }));
  });
  const err = await new RestClient({ url: busy }).getJob('j').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NotLeaderError);
  expect(err).toMatchObject({ retryable: true, message: 'recovering its jobs; retry shortly' });
});

test('a standby that names a dead leader: the error names both and says when a standby takes over', async () => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const standby = await rawServer((req, res) => {
    res.writeHead(307, { location: `${dead}${req.url}` });
    res.end();
  });
  const err = await new RestClient({ url: standby }).overview().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NetworkError);
  expect((err as Error).message).toMatch(
    new RegExp(
      `^cannot reach the job manager at ${dead} \\(the leader named by ${standby}\\): .*ECONNREFUSED.*` +
        'a standby takes over once its lease lapses \\(high-availability.redis.leader-election.lease-duration',
    ),
  );
});

test('a base path is kept and a trailing slash dropped', async () => {
  let seen = '';
  const prefixed = await rawServer((req, res) => {
    seen = req.url ?? '';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
  await new RestClient({ url: `${prefixed}/sluice/` }).health();
  expect(seen).toBe('/sluice/healthz');
});

test('normalizeRestUrl refuses what is not an http(s) base URL', () => {
  expect(normalizeRestUrl('http://127.0.0.1:8081/')).toBe('http://127.0.0.1:8081');
  expect(() => normalizeRestUrl('127.0.0.1:8081')).toThrow(ConfigError);
  expect(() => normalizeRestUrl('file:///etc')).toThrow(/not an http/);
  expect(() => normalizeRestUrl('http://user:secret@host')).toThrow(/credentials/);
});
