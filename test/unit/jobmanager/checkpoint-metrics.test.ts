/**
 * `GET /metrics` with the checkpoint gateway: per running job Flink's checkpoint metrics, read
 * from the gateway at scrape time, absent "last …" series before there is such a checkpoint,
 * and no series for jobs that ended.
 */
import type { FastifyInstance } from 'fastify';
import {
  TEST_TOKEN,
  restServerWithGateway,
  testArtifact,
  wordCountSubmission,
} from '../../helpers/rest-fixtures';
import type { TestingJobManagerGateway } from '../../helpers/testing-gateway';

let app: FastifyInstance;
let gateway: TestingJobManagerGateway;

beforeEach(() => ({ app, gateway } = restServerWithGateway()));
afterEach(() => app.close());

async function job(): Promise<string> {
  const artifact = testArtifact();
  await gateway.putArtifact(artifact.sha256, artifact.body);
  return (await gateway.submitJob(wordCountSubmission(artifact.sha256))).jobId;
}

/** The value of one series, or undefined when the scrape does not have it. */
async function scrape(): Promise<(name: string, jobId: string) => number | undefined> {
  const response = await app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
  });
  expect(response.statusCode).toBe(200);
  const text = response.body;
  return (name, jobId) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`job_id="${jobId}"`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
}

test('counts, last duration and size, restore, restarts: Flink names, values from the gateway', async () => {
  const running = await job();
  gateway.setStatus(running, 'RUNNING');
  gateway.checkpoints.enable(running);

  let value = await scrape();
  expect(value('sluice_job_numberOfCompletedCheckpoints', running)).toBe(0);
  expect(value('sluice_job_numberOfFailedCheckpoints', running)).toBe(0);
  expect(value('sluice_job_lastCheckpointDuration', running)).toBeUndefined();
  expect(value('sluice_job_lastCheckpointSize', running)).toBeUndefined();
  expect(value('sluice_job_lastCheckpointRestoreTimestamp', running)).toBeUndefined();

  gateway.checkpoints.record(running, { status: 'COMPLETED', durationMs: 120, stateSize: 5_000 });
  gateway.checkpoints.record(running, { status: 'FAILED', failureMessage: 'declined' });
  gateway.checkpoints.record(running, { status: 'COMPLETED', durationMs: 80, stateSize: 7_000 });
  gateway.checkpoints.record(running, { status: 'IN_PROGRESS' });
  gateway.setStatus(running, 'RESTARTING');
  gateway.setStatus(running, 'RUNNING');
  gateway.checkpoints.setRestored(running, {
    id: 3,
    restoreTimestamp: 1_700_000_000_123,
    externalPath: 'file:///c/chk-3',
    isSavepoint: false,
  });

  value = await scrape();
  expect(value('sluice_job_totalNumberOfCheckpoints', running)).toBe(4);
  expect(value('sluice_job_numberOfCompletedCheckpoints', running)).toBe(2);
  expect(value('sluice_job_numberOfFailedCheckpoints', running)).toBe(1);
  expect(value('sluice_job_numberOfInProgressCheckpoints', running)).toBe(1);
  expect(value('sluice_job_lastCompletedCheckpointId', running)).toBe(3);
  expect(value('sluice_job_lastCheckpointDuration', running)).toBe(80);
  expect(value('sluice_job_lastCheckpointSize', running)).toBe(7_000);
  expect(value('sluice_job_lastCheckpointRestoreTimestamp', running)).toBe(1_700_000_000_123);
  expect(value('sluice_job_lastRestoredCheckpointId', running)).toBe(3);
  expect(value('sluice_job_numRestarts', running)).toBe(1);
  expect(value('sluice_job_restarts', running)).toBe(1);
});

test('a job that ended has no checkpoint series', async () => {
  const finished = await job();
  gateway.checkpoints.enable(finished);
  gateway.checkpoints.record(finished, { status: 'COMPLETED' });
  gateway.setStatus(finished, 'FINISHED');
  const value = await scrape();
  expect(value('sluice_job_numberOfCompletedCheckpoints', finished)).toBeUndefined();
  expect(value('sluice_job_numRestarts', finished)).toBeUndefined();
});

test('a gateway failure is a 500 for the scrape, logged, not a silent zero', async () => {
  const running = await job();
  gateway.setStatus(running, 'RUNNING');
  const original = gateway.checkpoints.checkpointStats.bind(gateway.checkpoints);
  gateway.checkpoints.checkpointStats = () => Promise.reject(new Error('coordinator exploded'));
  const response = await app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
  });
  expect(response.statusCode).toBe(500);
  expect(response.json()).toEqual({
    code: 'SLUICE_INTERNAL',
    message: 'internal error in the job manager; see its log',
  });
  gateway.checkpoints.checkpointStats = original;
  expect((await scrape())('sluice_job_numberOfCompletedCheckpoints', running)).toBe(0);
});
