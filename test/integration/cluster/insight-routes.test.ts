/**
 * The dashboard's REST routes over a real job manager and TaskManager processes: plans,
 * failure history, vertex and TaskManager details, the log tail read over the control channel,
 * the redacted config, and that all of them need the token while the dashboard's files do not.
 */
import type { FastifyInstance } from 'fastify';
import { SLUICE_VERSION } from '../../../runtime/version';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import { waitFor } from '../../../runtime/util/wait';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';

let cluster: TestCluster;
let app: FastifyInstance;

const get = async (url: string, token: string | null = cluster.config['rest.token']!) => {
  const res = await app.inject({
    method: 'GET',
    url,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.statusCode, body: res.body, json: () => res.json<Record<string, unknown>>() };
};

beforeAll(async () => {
  cluster = await TestCluster.start({ 'restart-strategy.fixed-delay.attempts': 2 });
  // Info level: the log tail must have lines (the logger is silent under jest otherwise).
  await cluster.startTaskManager(2, { SLUICE_LOG_LEVEL: 'info' });
  app = createRestServer({
    gateway: cluster.jobManager.dispatcher,
    token: cluster.config['rest.token']!,
    maxBodyBytes: 1 << 20,
    insight: {
      insight: cluster.jobManager.dispatcher,
      config: cluster.config,
      version: SLUICE_VERSION,
      startedAt: cluster.jobManager.startedAt,
    },
  });
});

afterAll(async () => {
  await app?.close();
  await cluster?.stop();
});

test('plan, vertex and overview of a running job, in Flink shapes', async () => {
  const jobId = await cluster.submit(fixtureJob('unbounded-job'), {}, { parallelism: 2 });
  await cluster.waitForAllTasksRunning(jobId);

  const plan = (await get(`/jobs/${jobId}/plan`)).json() as {
    plan: {
      jid: string;
      name: string;
      nodes: { id: string; inputs: { ship_strategy: string }[]; operators: { name: string }[] }[];
    };
  };
  expect(plan.plan.jid).toBe(jobId);
  expect(plan.plan.name).toBe('unbounded');
  expect(plan.plan.nodes.map((n) => n.operators.map((o) => o.name))).toEqual([
    ['ticks', 'plus-one', 'filter', 'Collect'],
  ]);
  expect(plan.plan.nodes[0]!.inputs).toEqual([]);

  const vertexId = plan.plan.nodes[0]!.id;
  const vertex = (await get(`/jobs/${jobId}/vertices/${vertexId}`)).json() as {
    id: string;
    subtasks: unknown[];
  };
  expect(vertex.id).toBe(vertexId);
  expect(vertex.subtasks).toHaveLength(2);
  expect((await get(`/jobs/${jobId}/vertices/no-such-vertex`)).status).toBe(404);

  const overview = (await get('/jobs/overview')).json() as { jobs: Record<string, unknown>[] };
  expect(overview.jobs).toContainEqual(
    expect.objectContaining({
      jid: jobId,
      name: 'unbounded',
      state: 'RUNNING',
      tasks: { total: 2, running: 2 },
    }),
  );
  await cluster.jobManager.dispatcher.cancelJob(jobId);
  await cluster.waitForStatus(jobId, ['CANCELED']);
});

test('exceptions: the history of every failed attempt, newest first, not only the last failure', async () => {
  const jobId = await cluster.submit(fixtureJob('failing-job'), { failAt: '20' }, { parallelism: 1 });
  await cluster.waitForStatus(jobId, ['FAILED']);
  const { exceptionHistory, rootException } = (await get(`/jobs/${jobId}/exceptions`)).json() as {
    exceptionHistory: {
      entries: { attempt: number; message: string; taskName: string; taskManagerId: string }[];
      truncated: boolean;
    };
    rootException: string;
  };
  // Two restarts allowed: three attempts failed.
  expect(exceptionHistory.entries.map((e) => e.attempt)).toEqual([2, 1, 0]);
  expect(exceptionHistory.truncated).toBe(false);
  for (const e of exceptionHistory.entries) {
    expect(e.message).toContain('boom at 20');
    expect(e.taskName).toBe('sequence -> explode (1/1)');
    expect(e.taskManagerId).toBe(cluster.taskManagers[0]!.id);
  }
  expect(rootException).toContain('boom at 20');
  expect((await get('/jobs/0123456789abcdef0123456789abcdef/exceptions')).status).toBe(404);
  expect((await get('/jobs/not-an-id/exceptions')).status).toBe(400);
});

test('a TaskManager and the tail of its log, asked of it over the control channel', async () => {
  const id = cluster.taskManagers[0]!.id;
  const tm = (await get(`/taskmanagers/${id}`)).json() as { id: string; slotsTotal: number; now: number };
  expect(tm).toMatchObject({ id, slotsTotal: 2 });
  expect((await get('/taskmanagers/no-such-tm')).status).toBe(404);

  const logs = (await get(`/taskmanagers/${id}/logs`)).json() as { lines: string[]; droppedLines: number };
  expect(logs.lines.some((l) => l.includes('registered at the job manager'))).toBe(true);
  const two = (await get(`/taskmanagers/${id}/logs?lines=2`)).json() as {
    lines: string[];
    droppedLines: number;
  };
  expect(two.lines).toHaveLength(2);
  expect(two.droppedLines).toBeGreaterThan(0);
  expect((await get(`/taskmanagers/${id}/logs?lines=0`)).status).toBe(400);
  expect((await get(`/taskmanagers/${id}/logs?lines=5000`)).status).toBe(400);
  expect((await get(`/taskmanagers/${id}/logs?lines=../../etc/passwd`)).status).toBe(400);
  expect((await get('/taskmanagers/no-such-tm/logs')).status).toBe(404);
});

test('config: the job manager config with secrets masked, and the dashboard settings', async () => {
  const token = cluster.config['rest.token']!;
  const res = await get('/jobmanager/config');
  expect(res.body).not.toContain(token);
  expect(res.body).not.toContain(cluster.config['s3.secret-key']!);
  const entries = JSON.parse(res.body) as { key: string; value: string }[];
  expect(entries).toContainEqual({ key: 'rest.token', value: '***' });
  expect(entries).toContainEqual({ key: 's3.secret-key', value: '***' });
  expect(entries).toContainEqual({ key: 'heartbeat.interval', value: '300' });

  const config = (await get('/config')).json();
  expect(config).toMatchObject({ 'refresh-interval': 3000, 'sluice-version': SLUICE_VERSION });
  expect(config['uptime-ms']).toBeGreaterThanOrEqual(0);
});

test('every data route needs the token; the dashboard page and its files do not', async () => {
  const jobId = (await cluster.jobManager.dispatcher.listJobs())[0]!.jobId;
  const id = cluster.taskManagers[0]!.id;
  for (const url of [
    '/config',
    '/jobmanager/config',
    '/jobs/overview',
    `/jobs/${jobId}/plan`,
    `/jobs/${jobId}/exceptions`,
    `/jobs/${jobId}/vertices/x`,
    `/taskmanagers/${id}`,
    `/taskmanagers/${id}/logs`,
  ]) {
    expect({ url, status: (await get(url, null)).status }).toEqual({ url, status: 401 });
    expect({ url, status: (await get(url, 'wrong')).status }).toEqual({ url, status: 401 });
  }
  const page = await app.inject({ method: 'GET', url: '/' });
  expect(page.statusCode).toBe(200);
  expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  const script = /src="(\/dashboard\/app\.js\?v=[0-9a-f]+)"/.exec(page.body)![1]!;
  const js = await app.inject({ method: 'GET', url: script });
  expect(js.statusCode).toBe(200);
  expect(js.headers['content-type']).toContain('javascript');
  expect(js.body.length).toBeGreaterThan(10_000);
  expect((await app.inject({ method: 'GET', url: '/dashboard/app.css' })).statusCode).toBe(200);
});

test('the log of a TaskManager that is gone cannot be read: 409 while it is still registered', async () => {
  const tm = await cluster.startTaskManager(1);
  await tm.kill();
  await waitFor(() => !cluster.jobManager.resourceManager.isConnected(tm.id), {
    what: 'the TaskManager to be lost',
  });
  const res = await get(`/taskmanagers/${tm.id}/logs`);
  // Its registry lease outlives the connection by up to heartbeat.timeout; after that it is unknown.
  expect([409, 404]).toContain(res.status);
  expect(res.json().message).toContain(tm.id);
});
