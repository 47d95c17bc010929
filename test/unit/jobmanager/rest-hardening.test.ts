/**
 * The REST server against hostile or broken clients (issue 7): malformed URLs answered with the
 * documented `{ code, message }` before the token check and without echoing the URL, requests
 * whose body never completes and silent connections closed by the server, errors of HEAD calls
 * readable by the client, and `/healthz` turning 503 with the failing dependency named.
 */
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { DependencyUnavailableError } from '../../../runtime/errors';
import { RestClient } from '../../../runtime/client/rest-client';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import type { HealthReport } from '../../../runtime/services/dependency-health';
import { TestingJobManagerGateway } from '../../helpers/testing-gateway';
import { TEST_TOKEN, listenOnLoopback } from '../../helpers/rest-fixtures';

let app: FastifyInstance;
let gateway: TestingJobManagerGateway;
let url: string;
let health: HealthReport;

beforeEach(async () => {
  gateway = new TestingJobManagerGateway();
  health = { status: 'UP', role: 'jobmanager', checks: {} };
  app = createRestServer({
    gateway,
    token: TEST_TOKEN,
    maxBodyBytes: 64 * 1024,
    requestTimeoutMs: 500,
    idleTimeoutMs: 800,
    health: async () => health,
  });
  url = await listenOnLoopback(app);
});

afterEach(() => app.close());

/** Sends raw bytes; resolves with what the server answered and how long until it closed. */
function rawExchange(bytes: string, giveUpMs = 10_000): Promise<{ answer: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = '';
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
  });
}

describe('malformed URLs', () => {
  test.each([
    ['without a token', {}],
    ['with a token', { authorization: `Bearer ${TEST_TOKEN}` }],
  ])('/jobs/%%zz %s: 400 { code, message } that does not echo the URL', async (_what, headers) => {
    const response = await fetch(`${url}/jobs/%zz`, { headers });
    expect(response.status).toBe(400);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['code', 'message']);
    expect(body.code).toBe('SLUICE_BAD_REQUEST');
    expect(String(body.message)).not.toContain('%zz');
    expect(gateway.calls).toEqual([]);
  });
});

describe('requests the HTTP parser rejects', () => {
  test('headers too large: 431 { code, message } and Connection: close; no body after a HEAD', async () => {
    const huge = `X-Long: ${'h'.repeat(20_000)}\r\n`;
    const get = await rawExchange(`GET /overview HTTP/1.1\r\nHost: x\r\n${huge}\r\n`);
    expect(get.answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(get.answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(JSON.parse(get.answer.split('\r\n\r\n')[1]!)).toMatchObject({ code: 'SLUICE_BAD_REQUEST' });
    const head = await rawExchange(`HEAD /overview HTTP/1.1\r\nHost: x\r\n${huge}\r\n`);
    expect(head.answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(head.answer.split('\r\n\r\n')[1]).toBe('');
  });

  test('an unknown method: 400 { code, message }', async () => {
    const { answer } = await rawExchange('FOO /jobs HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.split('\r\n\r\n')[1]!)).toEqual({
      code: 'SLUICE_BAD_REQUEST',
      message: 'unknown HTTP method',
    });
  });
});

describe('timeouts', () => {
  test('a request whose body never completes is closed after rest.request-timeout', async () => {
    const { answer, closedAfterMs } = await rawExchange(
      'POST /jobs HTTP/1.1\r\nHost: x\r\n' +
        `Authorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 1000\r\n\r\n{"jobGraph":',
    );
    expect(closedAfterMs).toBeGreaterThanOrEqual(400);
    // Node answers 408 when it can; either way the connection does not stay open.
    if (answer.length > 0) expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(gateway.calls).toEqual([]);
  });

  test('a connection that sends nothing is closed after rest.idleness-timeout', async () => {
    // The idleness timeout alone, well before the request deadline: with both near each other
    // Node may answer 408 first (its request check also covers a connection that sent nothing).
    await app.close();
    app = createRestServer({
      gateway,
      token: TEST_TOKEN,
      maxBodyBytes: 64 * 1024,
      requestTimeoutMs: 20_000,
      idleTimeoutMs: 300,
      health: async () => health,
    });
    url = await listenOnLoopback(app);
    const { answer, closedAfterMs } = await rawExchange('');
    expect(answer).toBe('');
    expect(closedAfterMs).toBeGreaterThanOrEqual(250);
    expect(closedAfterMs).toBeLessThan(15_000);
  });
});

describe('errors of HEAD calls', () => {
  test('travel in headers, so the client can say what failed', async () => {
    gateway.failNextCall = new DependencyUnavailableError(
      'blob store',
      'http://127.0.0.1:1',
      new Error('connect ECONNREFUSED 127.0.0.1:1'),
    );
    const client = new RestClient({ url, token: TEST_TOKEN });
    const failure = await client.hasArtifact('a'.repeat(64)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toMatchObject({
      code: 'SLUICE_UNAVAILABLE',
      status: 503,
      message: 'blob store unreachable at http://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1',
    });
  });
});

describe('/healthz', () => {
  test('answers 503 naming the dependency that is down, without a token', async () => {
    health = {
      status: 'DOWN',
      role: 'jobmanager',
      checks: {
        redis: { status: 'DOWN', address: '127.0.0.1:1', cause: 'connect ECONNREFUSED 127.0.0.1:1' },
        blobStore: { status: 'UP', address: 'http://127.0.0.1:2' },
      },
      code: 'SLUICE_UNAVAILABLE',
      message: 'Redis unreachable at 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1',
    };
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual(health);
    const live = await fetch(`${url}/livez`);
    expect(live.status).toBe(200);
    await expect(new RestClient({ url }).health()).rejects.toMatchObject({
      code: 'SLUICE_UNAVAILABLE',
      message: health.message,
    });
  });
});
