/* eslint-disable @typescript-eslint/no-explicit-any -- the tests read JSON bodies field by field */
/**
 * The checkpoint routes against the testing gateways: statistics, config and details shapes,
 * path validation (400 naming the field), unknown jobs and checkpoints (404), the manual
 * trigger's asynchronous lifecycle (202, IN_PROGRESS, COMPLETED / FAILED) and its refusals
 * (409), the bearer token, and the trigger records' bound and expiry.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import { ConflictError, NotFoundError, SluiceError } from '../../../runtime/errors';
import { CheckpointTriggers } from '../../../runtime/jobmanager/rest/checkpoint-triggers';
import {
  TEST_TOKEN,
  restServerWithGateway,
  testArtifact,
  wordCountSubmission,
} from '../../helpers/rest-fixtures';
import type { TestingJobManagerGateway } from '../../helpers/testing-gateway';

const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
const UNKNOWN_JOB = '0123456789abcdef0123456789abcdef';

let app: FastifyInstance;
let gateway: TestingJobManagerGateway;
let jobId: string;

beforeEach(async () => {
  ({ app, gateway } = restServerWithGateway({ insight: true }));
  const artifact = testArtifact();
  await gateway.putArtifact(artifact.sha256, artifact.body);
  jobId = (await gateway.submitJob(wordCountSubmission(artifact.sha256))).jobId;
});

afterEach(() => app.close());

async function call(options: InjectOptions & { auth?: boolean }) {
  const { auth = true, headers, ...rest } = options;
  const response = await app.inject({ ...rest, headers: { ...(auth ? AUTH : {}), ...headers } });
  return { status: response.statusCode, json: () => response.json() as Record<string, any>, response };
}

describe('statistics, config and details', () => {
  test('a job that does not checkpoint: zero counts, empty history, config disabled', async () => {
    const stats = await call({ method: 'GET', url: `/jobs/${jobId}/checkpoints` });
    expect(stats.status).toBe(200);
    expect(stats.json()).toEqual({
      counts: { restored: 0, total: 0, inProgress: 0, completed: 0, failed: 0 },
      latest: {},
      history: [],
    });
    const config = await call({ method: 'GET', url: `/jobs/${jobId}/checkpoints/config` });
    expect(config.status).toBe(200);
    expect(config.json()).toMatchObject({ enabled: false, mode: 'exactly-once' });
  });

  test('counts, latest completed / failed / restored and the history, newest first', async () => {
    const checkpoints = gateway.checkpoints;
    checkpoints.enable(jobId, { intervalMs: 5_000, mode: 'at-least-once' });
    checkpoints.record(jobId, { status: 'COMPLETED', stateSize: 2048 });
    checkpoints.record(jobId, { status: 'FAILED', failureMessage: 'checkpoint 2 expired after 600000 ms' });
    checkpoints.record(jobId, { status: 'COMPLETED', stateSize: 4096 });
    checkpoints.record(jobId, { status: 'IN_PROGRESS' });
    checkpoints.setRestored(jobId, {
      id: 1,
      restoreTimestamp: 1_700_000_000_000,
      externalPath: 'file:///c/chk-1',
      isSavepoint: false,
    });

    const { status, json } = await call({ method: 'GET', url: `/jobs/${jobId}/checkpoints` });
    expect(status).toBe(200);
    const body = json();
    expect(body.counts).toEqual({ restored: 1, total: 4, inProgress: 1, completed: 2, failed: 1 });
    expect(body.latest.completed).toMatchObject({ id: 3, status: 'COMPLETED', stateSize: 4096 });
    expect(body.latest.completed.externalPath).toMatch(/\/chk-3$/);
    expect(body.latest.failed).toMatchObject({
      id: 2,
      failureMessage: 'checkpoint 2 expired after 600000 ms',
    });
    expect(body.latest.restored).toEqual({
      id: 1,
      restoreTimestamp: 1_700_000_000_000,
      externalPath: 'file:///c/chk-1',
      isSavepoint: false,
    });
    expect(body.history.map((c: { id: number; status: string }) => [c.id, c.status])).toEqual([
      [4, 'IN_PROGRESS'],
      [3, 'COMPLETED'],
      [2, 'FAILED'],
      [1, 'COMPLETED'],
    ]);
    // The summary has no per-subtask part; the details route does.
    expect(body.history[0].subtasks).toBeUndefined();

    const config = await call({ method: 'GET', url: `/jobs/${jobId}/checkpoints/config` });
    expect(config.json()).toMatchObject({ enabled: true, intervalMs: 5_000, mode: 'at-least-once' });

    const details = await call({ method: 'GET', url: `/jobs/${jobId}/checkpoints/details/3` });
    expect(details.status).toBe(200);
    const parallelism = gateway
      .job(jobId)
      .submission.jobGraph.vertices.reduce((n, v) => n + v.parallelism, 0);
    expect(details.json()).toMatchObject({ id: 3, status: 'COMPLETED', totalSubtasks: parallelism });
    expect(details.json().subtasks).toHaveLength(parallelism);
    expect(details.json().subtasks[0]).toEqual(
      expect.objectContaining({ vertexId: expect.any(String), subtask: 0, ackTimestamp: expect.any(Number) }),
    );
  });

  test('an unknown job is a 404 on every route; an unknown checkpoint names its id', async () => {
    for (const url of [
      `/jobs/${UNKNOWN_JOB}/checkpoints`,
      `/jobs/${UNKNOWN_JOB}/checkpoints/config`,
      `/jobs/${UNKNOWN_JOB}/checkpoints/details/1`,
      `/jobs/${UNKNOWN_JOB}/checkpoints/1b4e28ba-2fa1-41d2-883f-0016d3cca427`,
    ]) {
      const { status, json } = await call({ method: 'GET', url });
      expect([url, status]).toEqual([url, 404]);
      expect(json()).toEqual({ code: 'SLUICE_NOT_FOUND', message: `job ${UNKNOWN_JOB} not found` });
    }
    const trigger = await call({ method: 'POST', url: `/jobs/${UNKNOWN_JOB}/checkpoints` });
    expect(trigger.status).toBe(404);

    const missing = await call({ method: 'GET', url: `/jobs/${jobId}/checkpoints/details/42` });
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({
      code: 'SLUICE_NOT_FOUND',
      message: `job ${jobId} has no checkpoint 42 in its history`,
    });
  });

  test.each([
    ['/jobs/not-a-job/checkpoints', 'path parameter', 'id'],
    ['/jobs/JOB/checkpoints/details/0', 'path parameter', 'checkpointId'],
    ['/jobs/JOB/checkpoints/details/-1', 'path parameter', 'checkpointId'],
    ['/jobs/JOB/checkpoints/details/1.5', 'path parameter', 'checkpointId'],
    ['/jobs/JOB/checkpoints/details/12345678901234567890', 'path parameter', 'checkpointId'],
    ['/jobs/JOB/checkpoints/not-a-request', 'path parameter', 'requestId'],
  ])('GET %s is a 400 naming the field', async (url, part, field) => {
    const { status, json } = await call({ method: 'GET', url: url.replace('JOB', jobId) });
    expect(status).toBe(400);
    expect(json().code).toBe('SLUICE_BAD_REQUEST');
    expect(json().message).toContain(`invalid ${part}: ${field}`);
  });

  test('every checkpoint route needs the token', async () => {
    gateway.calls.length = 0;
    for (const [method, url] of [
      ['GET', `/jobs/${jobId}/checkpoints`],
      ['GET', `/jobs/${jobId}/checkpoints/config`],
      ['GET', `/jobs/${jobId}/checkpoints/details/1`],
      ['POST', `/jobs/${jobId}/checkpoints`],
      ['GET', `/jobs/${jobId}/checkpoints/1b4e28ba-2fa1-41d2-883f-0016d3cca427`],
    ] as const) {
      const { status, json } = await call({ method, url, auth: false });
      expect([url, status]).toEqual([url, 401]);
      expect(json().code).toBe('SLUICE_UNAUTHORIZED');
    }
    expect(gateway.calls).toEqual([]);
  });

  test('/config tells the dashboard that checkpoints are there', async () => {
    const { json } = await call({ method: 'GET', url: '/config' });
    expect(json().features.checkpoints).toBe(true);
  });
});

describe('manual trigger', () => {
  const trigger = () => call({ method: 'POST', url: `/jobs/${jobId}/checkpoints` });
  const statusOf = (requestId: string) =>
    call({ method: 'GET', url: `/jobs/${jobId}/checkpoints/${requestId}` });

  test('202 with a request id, IN_PROGRESS, then COMPLETED with the id and location', async () => {
    gateway.setStatus(jobId, 'RUNNING');
    gateway.checkpoints.enable(jobId);
    const { status, json, response } = await trigger();
    expect(status).toBe(202);
    const { requestId } = json();
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.location).toBe(`/jobs/${jobId}/checkpoints/${requestId}`);
    expect((await statusOf(requestId)).json()).toEqual({ requestId, status: 'IN_PROGRESS' });
    // The trigger shows in the statistics as a manual checkpoint in progress.
    const stats = (await call({ method: 'GET', url: `/jobs/${jobId}/checkpoints` })).json();
    expect(stats.history[0]).toMatchObject({ status: 'IN_PROGRESS', trigger: 'manual' });

    const done = gateway.checkpoints.finishTrigger(jobId);
    await new Promise(setImmediate);
    const answer = await statusOf(requestId);
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({
      requestId,
      status: 'COMPLETED',
      checkpointId: done.id,
      externalPath: `file:///tmp/sluice-testing/checkpoints/${jobId}/chk-${done.id}`,
    });
  });

  test('a failed checkpoint is FAILED with its cause; a non-Sluice error hides its message', async () => {
    gateway.setStatus(jobId, 'RUNNING');
    gateway.checkpoints.enable(jobId);
    const first = (await trigger()).json().requestId as string;
    const second = (await trigger()).json().requestId as string;
    expect(first).not.toBe(second);
    gateway.checkpoints.finishTrigger(
      jobId,
      new SluiceError('SLUICE_TIMEOUT', 'checkpoint 1 expired before completing (timeout 600000 ms)'),
    );
    gateway.checkpoints.finishTrigger(jobId, new TypeError('x is undefined'));
    await new Promise(setImmediate);
    expect((await statusOf(first)).json()).toEqual({
      requestId: first,
      status: 'FAILED',
      failureCause: {
        code: 'SLUICE_TIMEOUT',
        message: 'checkpoint 1 expired before completing (timeout 600000 ms)',
      },
    });
    expect((await statusOf(second)).json()).toEqual({
      requestId: second,
      status: 'FAILED',
      failureCause: {
        code: 'SLUICE_INTERNAL',
        message: 'the checkpoint failed inside the job manager; see its log',
      },
    });
  });

  test('a job that does not checkpoint, or is not running, is a 409 and nothing is triggered', async () => {
    gateway.setStatus(jobId, 'RUNNING');
    const disabled = await trigger();
    expect(disabled.status).toBe(409);
    expect(disabled.json()).toEqual({
      code: 'SLUICE_CONFLICT',
      message: `job ${jobId} does not checkpoint: enable it with env.enableCheckpointing(intervalMs) or execution.checkpointing.interval`,
    });
    gateway.checkpoints.enable(jobId);
    gateway.setStatus(jobId, 'FINISHED');
    const finished = await trigger();
    expect(finished.status).toBe(409);
    expect(finished.json().message).toBe(
      `job ${jobId} is FINISHED: only a RUNNING job can take a checkpoint`,
    );
    expect(gateway.checkpoints.pendingTriggers(jobId)).toBe(0);
  });

  test('a gateway answering a job without checkpoint settings with 404 still gets a 409', async () => {
    gateway.setStatus(jobId, 'RUNNING');
    gateway.checkpoints.checkpointConfig = () =>
      Promise.reject(new NotFoundError(`job ${jobId} has no checkpoint storage`));
    const refused = await trigger();
    expect(refused.status).toBe(409);
    expect(refused.json().message).toMatch(new RegExp(`^job ${jobId} does not checkpoint`));
    // The request status route still tells an unknown job from an unknown request.
    const unknown = await call({
      method: 'GET',
      url: `/jobs/${jobId}/checkpoints/1b4e28ba-2fa1-41d2-883f-0016d3cca427`,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json().message).toContain(`job ${jobId} has no checkpoint request`);
  });

  test('a body other than an empty object is refused; a request id of another job is a 404', async () => {
    gateway.setStatus(jobId, 'RUNNING');
    gateway.checkpoints.enable(jobId);
    const withBody = await call({
      method: 'POST',
      url: `/jobs/${jobId}/checkpoints`,
      payload: { checkpointType: 'FULL' },
    });
    expect(withBody.status).toBe(400);
    expect(withBody.json().message).toMatch(/^invalid request body: .*checkpointType/);
    const empty = await call({ method: 'POST', url: `/jobs/${jobId}/checkpoints`, payload: {} });
    expect(empty.status).toBe(202);

    const other = (await gateway.submitJob(gateway.job(jobId).submission)).jobId;
    const requestId = empty.json().requestId as string;
    const wrongJob = await call({ method: 'GET', url: `/jobs/${other}/checkpoints/${requestId}` });
    expect(wrongJob.status).toBe(404);
    expect(wrongJob.json().message).toContain(`job ${other} has no checkpoint request ${requestId}`);
  });
});

describe('trigger records', () => {
  const never = () => new Promise<never>(() => {});

  test('finished records expire after the retention; unknown ids are a NotFoundError', async () => {
    let now = 1_000;
    const triggers = new CheckpointTriggers({ retentionMs: 60_000, now: () => now });
    const id = triggers.track('job', () =>
      Promise.resolve({ checkpointId: 3, externalPath: 'file:///x/chk-3' }),
    );
    expect(triggers.status('job', id)).toEqual({ requestId: id, status: 'IN_PROGRESS' });
    await new Promise(setImmediate);
    expect(triggers.status('job', id)).toMatchObject({ status: 'COMPLETED', checkpointId: 3 });
    now += 59_999;
    expect(triggers.size).toBe(1);
    now += 1;
    expect(() => triggers.status('job', id)).toThrow(`job job has no checkpoint request ${id}`);
    expect(triggers.size).toBe(0);
  });

  test('bounded: finished records make room oldest first; all in progress is a ConflictError', async () => {
    let now = 0;
    const triggers = new CheckpointTriggers({ maxRecords: 3, now: () => now++ });
    const done = [1, 2].map((n) =>
      triggers.track('job', () => Promise.resolve({ checkpointId: n, externalPath: `p${n}` })),
    );
    await new Promise(setImmediate);
    const running = triggers.track('job', never);
    const fourth = triggers.track('job', never);
    expect(triggers.size).toBe(3);
    expect(() => triggers.status('job', done[0]!)).toThrow(/no checkpoint request/);
    expect(triggers.status('job', done[1]!)).toMatchObject({ status: 'COMPLETED', checkpointId: 2 });
    triggers.track('job', never);
    const start = jest.fn(never);
    expect(() => triggers.track('job', start)).toThrow(ConflictError);
    expect(start).not.toHaveBeenCalled();
    expect(triggers.status('job', running).status).toBe('IN_PROGRESS');
    expect(triggers.status('job', fourth).status).toBe('IN_PROGRESS');
  });
});
