/* eslint-disable @typescript-eslint/no-explicit-any -- the tests break JSON values field by field */
/**
 * The REST server against the testing gateway: every route through `inject`, authentication,
 * validation (400 naming the field), body limits (413), content types (415), gateway errors
 * (404, 409, 500) and one pass over a real socket.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pino from 'pino';
import type { JobSubmission } from '../../../runtime/jobmanager/gateway';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import type { TestingJobManagerGateway } from '../../helpers/testing-gateway';
import { TestingJobManagerGateway as Gateway } from '../../helpers/testing-gateway';
import {
  TEST_TOKEN,
  listenOnLoopback,
  restServerWithGateway,
  testArtifact,
  wordCountSubmission,
} from '../../helpers/rest-fixtures';

const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
const UNKNOWN_JOB = '0123456789abcdef0123456789abcdef';

let app: FastifyInstance;
let gateway: TestingJobManagerGateway;
let submission: JobSubmission;

beforeEach(async () => {
  ({ app, gateway } = restServerWithGateway({ maxBodyBytes: 256 * 1024, maxArtifactBytes: 64 * 1024 }));
  const artifact = testArtifact();
  await gateway.putArtifact(artifact.sha256, artifact.body);
  submission = wordCountSubmission(artifact.sha256);
});

afterEach(() => app.close());

async function call(options: InjectOptions & { auth?: boolean }) {
  const { auth = true, headers, ...rest } = options;
  const response = await app.inject({ ...rest, headers: { ...(auth ? AUTH : {}), ...headers } });
  const json = () => response.json() as Record<string, unknown>;
  return { response, status: response.statusCode, json };
}

async function submit(body: unknown = submission): Promise<string> {
  const { status, json } = await call({ method: 'POST', url: '/jobs', payload: body as object });
  expect(status).toBe(202);
  return json().jobId as string;
}

describe('authentication', () => {
  test('/healthz needs no token', async () => {
    const { status, json } = await call({ method: 'GET', url: '/healthz', auth: false });
    expect(status).toBe(200);
    expect(json()).toEqual({ status: 'UP', role: 'jobmanager', checks: {} });
  });

  test.each([
    ['GET', '/overview'],
    ['GET', '/jobs'],
    ['POST', '/jobs'],
    ['GET', `/jobs/${UNKNOWN_JOB}`],
    ['PATCH', `/jobs/${UNKNOWN_JOB}?mode=cancel`],
    ['GET', `/jobs/${UNKNOWN_JOB}/output`],
    ['GET', '/taskmanagers'],
    ['PUT', `/artifacts/${'a'.repeat(64)}`],
    ['HEAD', `/artifacts/${'a'.repeat(64)}`],
    ['GET', '/no-such-route'],
  ] as const)('%s %s without a token is 401 and reaches no gateway method', async (method, url) => {
    const { response, status } = await call({ method, url, auth: false });
    expect(status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('Bearer');
    if (method !== 'HEAD')
      expect(response.json()).toEqual({ code: 'SLUICE_UNAUTHORIZED', message: 'a bearer token is required' });
    expect(gateway.calls.filter((c) => c !== 'putArtifact')).toEqual([]);
  });

  test.each([
    ['a wrong token', `Bearer ${TEST_TOKEN}x`],
    ['a prefix of the token', `Bearer ${TEST_TOKEN.slice(0, 5)}`],
    ['another scheme', `Basic ${Buffer.from(`u:${TEST_TOKEN}`).toString('base64')}`],
  ])('%s is 401', async (_what, authorization) => {
    const { status, json } = await call({
      method: 'GET',
      url: '/overview',
      auth: false,
      headers: { authorization },
    });
    expect(status).toBe(401);
    expect(json().code).toBe('SLUICE_UNAUTHORIZED');
  });

  test('the scheme is case-insensitive', async () => {
    const { status } = await call({
      method: 'GET',
      url: '/overview',
      auth: false,
      headers: { authorization: `bearer ${TEST_TOKEN}` },
    });
    expect(status).toBe(200);
  });

  test('an empty token is refused at construction', () => {
    expect(() => createRestServer({ gateway: new Gateway(), token: '', maxBodyBytes: 1024 })).toThrow(
      'non-empty bearer token',
    );
  });
});

describe('cluster routes', () => {
  test('GET /overview returns the gateway overview', async () => {
    const { status, json } = await call({ method: 'GET', url: '/overview' });
    expect(status).toBe(200);
    expect(json()).toMatchObject({ taskManagers: 0, jobsRunning: 0, version: '0.0.0-testing' });
  });

  test('GET /taskmanagers lists TaskManagers', async () => {
    const profile = {
      cpuCores: 2,
      heapMb: 1024,
      directMb: 128,
      nativeMb: 128,
      networkMb: 64,
      managedMb: 128,
    };
    gateway.taskManagers.push({
      id: 'tm-1',
      dataHost: '127.0.0.1',
      dataPort: 7000,
      slotsTotal: 2,
      slotsFree: 1,
      totalResources: profile,
      freeResources: profile,
      slots: [{ index: 0, jobId: UNKNOWN_JOB }, { index: 1 }],
      lastHeartbeat: 1,
      connected: true,
    });
    const { status, json } = await call({ method: 'GET', url: '/taskmanagers' });
    expect(status).toBe(200);
    expect(json()).toEqual({ taskManagers: gateway.taskManagers });
  });

  test('an unknown route with a token is a JSON 404', async () => {
    const { status, json } = await call({ method: 'GET', url: '/nope?x=1' });
    expect(status).toBe(404);
    expect(json()).toEqual({ code: 'SLUICE_NOT_FOUND', message: 'no route GET /nope' });
  });
});

describe('POST /jobs', () => {
  test('accepts a valid submission with 202, a location and the job id', async () => {
    const { response, status, json } = await call({ method: 'POST', url: '/jobs', payload: submission });
    expect(status).toBe(202);
    const jobId = json().jobId as string;
    expect(jobId).toMatch(/^[0-9a-f]{32}$/);
    expect(response.headers.location).toBe(`/jobs/${jobId}`);
    expect(gateway.submissions).toEqual([submission]);
  });

  const withGraph = (change: (g: any) => void) => (s: any) => change(s.jobGraph);
  test.each([
    ['missing vertices', withGraph((g) => delete g.vertices), 'jobGraph.vertices'],
    [
      'bad partitioner',
      withGraph((g) => (g.edges[0].partitioner = 'scatter')),
      'jobGraph.edges[0].partitioner',
    ],
    [
      'edge to unknown vertex',
      withGraph((g) => (g.edges[0].targetVertex = 'nowhere')),
      'jobGraph.edges[0].targetVertex',
    ],
    ['parallelism 0', withGraph((g) => (g.vertices[0].parallelism = 0)), 'jobGraph.vertices[0].parallelism'],
    [
      'huge vertex name',
      withGraph((g) => (g.vertices[0].name = 'n'.repeat(100_000))),
      'jobGraph.vertices[0].name',
    ],
    ['missing artifact', (s: any) => delete s.artifact, 'artifact'],
    ['artifact not a digest', (s: any) => (s.artifact = '../../etc/passwd'), 'artifact'],
    ['arg value not a string', (s: any) => (s.args = { input: 5 }), 'args.input'],
    ['huge arg value', (s: any) => (s.args = { input: 'v'.repeat(50_000) }), 'args.input'],
    [
      'too many args',
      (s: any) => (s.args = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']))),
      'args',
    ],
    ['bad buildSettings', (s: any) => (s.buildSettings.chaining = 'yes'), 'buildSettings.chaining'],
    ['unknown top-level key', (s: any) => (s.savepoint = 'x'), 'savepoint'],
  ])('%s is a 400 naming the field', async (_what, breakIt, field) => {
    const body = JSON.parse(JSON.stringify(submission));
    breakIt(body);
    const { status, json } = await call({ method: 'POST', url: '/jobs', payload: body });
    expect(status).toBe(400);
    expect(json().code).toBe('SLUICE_BAD_REQUEST');
    expect(json().message).toContain('invalid request body');
    expect(json().message).toContain(field);
    expect((json().message as string).length).toBeLessThan(1_000);
    expect(gateway.submissions).toHaveLength(0);
  });

  test('no body is a 400', async () => {
    const { status, json } = await call({ method: 'POST', url: '/jobs' });
    expect(status).toBe(400);
    expect(json().code).toBe('SLUICE_BAD_REQUEST');
  });

  test('invalid JSON is a 400', async () => {
    const { status, json } = await call({
      method: 'POST',
      url: '/jobs',
      payload: '{"jobGraph": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(status).toBe(400);
    expect(json().code).toBe('SLUICE_BAD_REQUEST');
  });

  test('a prototype-poisoning body is a 400', async () => {
    const { status } = await call({
      method: 'POST',
      url: '/jobs',
      payload: '{"__proto__": {"admin": true}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(status).toBe(400);
  });

  test('a body over maxBodyBytes is a 413', async () => {
    const body = { ...submission, padding: 'p'.repeat(300 * 1024) };
    const { status, json } = await call({ method: 'POST', url: '/jobs', payload: body });
    expect(status).toBe(413);
    expect(json().code).toBe('SLUICE_PAYLOAD_TOO_LARGE');
  });

  test('a non-JSON content type is a 415', async () => {
    const { status, json } = await call({
      method: 'POST',
      url: '/jobs',
      payload: JSON.stringify(submission),
      headers: { 'content-type': 'text/plain' },
    });
    expect(status).toBe(415);
    expect(json().code).toBe('SLUICE_UNSUPPORTED_MEDIA_TYPE');
  });

  test("the gateway's BadRequestError (unknown artifact) is a 400 with its message", async () => {
    const { status, json } = await call({
      method: 'POST',
      url: '/jobs',
      payload: { ...submission, artifact: 'b'.repeat(64) },
    });
    expect(status).toBe(400);
    expect(json()).toEqual({ code: 'SLUICE_BAD_REQUEST', message: `unknown artifact ${'b'.repeat(64)}` });
  });
});

describe('job routes', () => {
  test('GET /jobs lists submitted jobs', async () => {
    const jobId = await submit();
    const { status, json } = await call({ method: 'GET', url: '/jobs' });
    expect(status).toBe(200);
    expect(json().jobs).toEqual([expect.objectContaining({ jobId, name: 'word-count', status: 'CREATED' })]);
  });

  test('GET /jobs/:id returns details, 404 for an unknown job, 400 for a malformed id', async () => {
    const jobId = await submit();
    gateway.setStatus(jobId, 'RUNNING');
    const details = await call({ method: 'GET', url: `/jobs/${jobId}` });
    expect(details.status).toBe(200);
    expect(details.json()).toMatchObject({ jobId, status: 'RUNNING', restarts: 0 });
    expect((details.json().vertices as unknown[]).length).toBe(submission.jobGraph.vertices.length);

    const missing = await call({ method: 'GET', url: `/jobs/${UNKNOWN_JOB}` });
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ code: 'SLUICE_NOT_FOUND', message: `job ${UNKNOWN_JOB} not found` });

    const malformed = await call({ method: 'GET', url: '/jobs/not-a-job-id' });
    expect(malformed.status).toBe(400);
    expect(malformed.json().message).toBe(
      'invalid path parameter: id: must be a job id: 32 lowercase hex characters',
    );
  });

  test('PATCH ?mode=cancel cancels with 202, idempotently; 409 once finished; 404 unknown', async () => {
    const jobId = await submit();
    gateway.setStatus(jobId, 'RUNNING');
    for (let i = 0; i < 2; i++) {
      const { status, json } = await call({ method: 'PATCH', url: `/jobs/${jobId}?mode=cancel` });
      expect(status).toBe(202);
      expect(json()).toEqual({ jobId });
    }
    expect(gateway.job(jobId).status).toBe('CANCELED');

    const finished = await submit();
    gateway.setStatus(finished, 'FINISHED');
    const conflict = await call({ method: 'PATCH', url: `/jobs/${finished}?mode=cancel` });
    expect(conflict.status).toBe(409);
    expect(conflict.json()).toEqual({
      code: 'SLUICE_CONFLICT',
      message: `job ${finished} is already FINISHED`,
    });

    expect((await call({ method: 'PATCH', url: `/jobs/${UNKNOWN_JOB}?mode=cancel` })).status).toBe(404);
  });

  test('PATCH without mode=cancel is a 400 naming mode', async () => {
    const jobId = await submit();
    for (const url of [`/jobs/${jobId}`, `/jobs/${jobId}?mode=stop`]) {
      const { status, json } = await call({ method: 'PATCH', url });
      expect(status).toBe(400);
      expect(json().message).toContain('invalid query parameter: mode');
    }
    expect(gateway.job(jobId).status).toBe('CREATED');
  });

  test('GET /jobs/:id/output pages through lines and results', async () => {
    const jobId = await submit();
    gateway.setStatus(jobId, 'RUNNING');
    gateway.emit(jobId, { lines: ['a 1', 'b 1', 'a 2'], results: [{ n: 1 }, 'two'] });
    const all = await call({ method: 'GET', url: `/jobs/${jobId}/output` });
    expect(all.json()).toEqual({
      attempt: 0,
      lines: ['a 1', 'b 1', 'a 2'],
      results: [{ n: 1 }, 'two'],
      nextLine: 3,
      nextResult: 2,
      status: 'RUNNING',
      droppedLines: 0,
    });
    const rest = await call({ method: 'GET', url: `/jobs/${jobId}/output?fromLine=2&fromResult=2` });
    expect(rest.json()).toMatchObject({ lines: ['a 2'], results: [], nextLine: 3, nextResult: 2 });
  });

  test.each(['fromLine=-1', 'fromLine=1.5', 'fromResult=abc', 'fromLine=1e3'])(
    'output with %s is a 400 naming it',
    async (query) => {
      const jobId = await submit();
      const { status, json } = await call({ method: 'GET', url: `/jobs/${jobId}/output?${query}` });
      expect(status).toBe(400);
      expect(json().message).toContain(query.split('=')[0]);
    },
  );

  test('output of an unknown job is a 404', async () => {
    expect((await call({ method: 'GET', url: `/jobs/${UNKNOWN_JOB}/output` })).status).toBe(404);
  });
});

describe('artifacts', () => {
  const artifact = testArtifact('exports.job = 1;\n');

  test('PUT stores the bytes with 201, HEAD then finds them', async () => {
    const before = await call({ method: 'HEAD', url: `/artifacts/${artifact.sha256}` });
    expect(before.status).toBe(404);
    const put = await call({
      method: 'PUT',
      url: `/artifacts/${artifact.sha256}`,
      payload: artifact.body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.status).toBe(201);
    expect(Buffer.from(gateway.artifacts.get(artifact.sha256)!)).toEqual(artifact.body);
    const after = await call({ method: 'HEAD', url: `/artifacts/${artifact.sha256}` });
    expect(after.status).toBe(200);
  });

  test('application/javascript (with a charset) is accepted too', async () => {
    const { status } = await call({
      method: 'PUT',
      url: `/artifacts/${artifact.sha256}`,
      payload: artifact.body,
      headers: { 'content-type': 'application/javascript; charset=utf-8' },
    });
    expect(status).toBe(201);
  });

  test('a body whose digest differs is a 400 and is not stored', async () => {
    const other = testArtifact('something else');
    const { status, json } = await call({
      method: 'PUT',
      url: `/artifacts/${artifact.sha256}`,
      payload: other.body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(status).toBe(400);
    expect(json().message).toContain(other.sha256);
    expect(gateway.artifacts.has(artifact.sha256)).toBe(false);
  });

  test('JSON or no content type is a 415', async () => {
    const json = await call({ method: 'PUT', url: `/artifacts/${artifact.sha256}`, payload: { code: 'x' } });
    expect(json.status).toBe(415);
    expect(json.json().code).toBe('SLUICE_UNSUPPORTED_MEDIA_TYPE');
    const empty = await call({ method: 'PUT', url: `/artifacts/${artifact.sha256}` });
    expect(empty.status).toBe(415);
  });

  test('an artifact over maxArtifactBytes is a 413', async () => {
    const big = testArtifact('x'.repeat(65 * 1024));
    const { status, json } = await call({
      method: 'PUT',
      url: `/artifacts/${big.sha256}`,
      payload: big.body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(status).toBe(413);
    expect(json().code).toBe('SLUICE_PAYLOAD_TOO_LARGE');
  });

  test('the artifact limit, not the JSON limit, applies to artifacts', async () => {
    ({ app, gateway } = restServerWithGateway({ maxBodyBytes: 1024, maxArtifactBytes: 64 * 1024 }));
    const medium = testArtifact('y'.repeat(32 * 1024));
    const { status } = await call({
      method: 'PUT',
      url: `/artifacts/${medium.sha256}`,
      payload: medium.body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(status).toBe(201);
  });

  test('a malformed digest in the path is a 400 naming sha256', async () => {
    const { status, json } = await call({
      method: 'PUT',
      url: '/artifacts/ABC',
      payload: artifact.body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(status).toBe(400);
    expect(json().message).toContain('sha256');
  });
});

test('an unexpected gateway error is a generic 500 and is logged', async () => {
  const logged: string[] = [];
  const logger = pino(
    { level: 'error' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(chunk.toString());
        done();
      },
    }),
  );
  const failing = new Gateway();
  const server = createRestServer({ gateway: failing, token: TEST_TOKEN, maxBodyBytes: 1024, logger });
  try {
    failing.failNextCall = new Error('redis password is hunter2');
    const response = await server.inject({ method: 'GET', url: '/overview', headers: AUTH });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      code: 'SLUICE_INTERNAL',
      message: 'internal error in the job manager; see its log',
    });
    expect(logged.join('')).toContain('redis password is hunter2');
  } finally {
    await server.close();
  }
});

test('over a real socket: health, auth and a submission round trip', async () => {
  const url = await listenOnLoopback(app);
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'UP', role: 'jobmanager', checks: {} });

  const refused = await fetch(`${url}/jobs`);
  expect(refused.status).toBe(401);
  expect(refused.headers.get('content-type')).toContain('application/json');

  const posted = await fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(submission),
  });
  expect(posted.status).toBe(202);
  const { jobId } = (await posted.json()) as { jobId: string };
  const listed = await fetch(`${url}/jobs`, { headers: AUTH });
  expect(((await listed.json()) as { jobs: { jobId: string }[] }).jobs.map((j) => j.jobId)).toEqual([jobId]);
});
