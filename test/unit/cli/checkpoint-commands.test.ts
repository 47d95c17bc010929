/**
 * `sluice checkpoint` and the checkpoint part of `sluice info` against a real REST server on
 * loopback backed by the testing gateways: the trigger waits for the outcome and prints the
 * id and location (or JSON), failures and refusals are one clear line with exit 1, and
 * `info` shows counts and the latest completed / failed / restored checkpoint.
 */
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../../../runtime/errors';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import { waitFor } from '../../../runtime/util/wait';
import { runCli, spawnCli, startCli } from '../../helpers/cli-runner';
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
let cluster: string[];
let jobId: string;

beforeEach(async () => {
  ({ app, gateway } = restServerWithGateway());
  cluster = ['--rest-url', await listenOnLoopback(app), '--token', TEST_TOKEN];
  const artifact = testArtifact();
  await gateway.putArtifact(artifact.sha256, artifact.body);
  jobId = (await gateway.submitJob(wordCountSubmission(artifact.sha256))).jobId;
});

afterEach(() => app.close());

describe('sluice checkpoint', () => {
  test('waits for the checkpoint, tells progress on stderr, prints id and location', async () => {
    gateway.setStatus(jobId, 'RUNNING');
    gateway.checkpoints.enable(jobId);
    const run = startCli(['checkpoint', jobId, ...cluster]);
    await waitFor(() => gateway.checkpoints.pendingTriggers(jobId) === 1, { what: 'the trigger' });
    // Not on a terminal: one plain progress line, no carriage returns.
    await waitFor(() => run.stderr().includes('waiting for it'), { what: 'the progress line' });
    expect(run.stderr()).toMatch(
      new RegExp(`^checkpoint of job ${jobId} triggered \\(request [0-9a-f-]{36}\\), waiting for it\\n$`),
    );
    const done = gateway.checkpoints.finishTrigger(jobId);
    expect(await run.done).toBe(0);
    expect(run.stdout()).toBe(`checkpoint ${done.id} of job ${jobId} completed: ${done.externalPath}\n`);
    expect(run.stderr()).not.toContain('\r');
  });

  test('--json prints the outcome as JSON', async () => {
    gateway.setStatus(jobId, 'RUNNING');
    gateway.checkpoints.enable(jobId);
    const run = startCli(['checkpoint', jobId, '--json', ...cluster]);
    await waitFor(() => gateway.checkpoints.pendingTriggers(jobId) === 1, { what: 'the trigger' });
    const done = gateway.checkpoints.finishTrigger(jobId);
    expect(await run.done).toBe(0);
    expect(JSON.parse(run.stdout())).toEqual({
      jobId,
      checkpointId: done.id,
      externalPath: done.externalPath,
    });
  });

  test('a failed checkpoint is exit 1 with its cause', async () => {
    gateway.setStatus(jobId, 'RUNNING');
    gateway.checkpoints.enable(jobId);
    const run = startCli(['checkpoint', jobId, ...cluster]);
    await waitFor(() => gateway.checkpoints.pendingTriggers(jobId) === 1, { what: 'the trigger' });
    gateway.checkpoints.finishTrigger(
      jobId,
      new SluiceError('SLUICE_TIMEOUT', 'checkpoint 1 expired before completing (timeout 600000 ms)'),
    );
    expect(await run.done).toBe(1);
    expect(run.stdout()).toBe('');
    expect(run.stderr()).toContain(
      `error: checkpoint of job ${jobId} failed: checkpoint 1 expired before completing (timeout 600000 ms)\n`,
    );
  });

  test('a job that does not checkpoint, one that is not running, an unknown one: one line, exit 1', async () => {
    gateway.setStatus(jobId, 'RUNNING');
    const disabled = await runCli(['checkpoint', jobId, ...cluster]);
    expect(disabled).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: job ${jobId} does not checkpoint: enable it with env.enableCheckpointing(intervalMs) or execution.checkpointing.interval\n`,
    });
    gateway.checkpoints.enable(jobId);
    gateway.setStatus(jobId, 'CANCELED');
    const canceled = await runCli(['checkpoint', jobId, ...cluster]);
    expect(canceled.stderr).toBe(
      `error: job ${jobId} is CANCELED: only a RUNNING job can take a checkpoint\n`,
    );
    const unknown = 'f'.repeat(32);
    const missing = await runCli(['checkpoint', unknown, ...cluster]);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: `error: job ${unknown} not found\n` });
    const malformed = await runCli(['checkpoint', 'abc', ...cluster]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain("'abc' is not a job id (32 lowercase hex characters)");
  });
});

test('a job manager without checkpoint routes: one line saying so', async () => {
  const bare = createRestServer({ gateway, token: TEST_TOKEN, maxBodyBytes: 1024 * 1024 });
  try {
    const url = await listenOnLoopback(bare);
    const { code, stderr } = await runCli(['checkpoint', jobId, '--rest-url', url, '--token', TEST_TOKEN]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `error: the job manager at ${url} has no checkpoint API (POST /jobs/:id/checkpoints): it predates checkpoints\n`,
    );
  } finally {
    await bare.close();
  }
});

test('Ctrl-C stops waiting, says where to look, exit 130; the checkpoint goes on', async () => {
  gateway.setStatus(jobId, 'RUNNING');
  gateway.checkpoints.enable(jobId);
  const [, url, , token] = cluster;
  const child = spawnCli(['checkpoint', jobId], { SLUICE_REST_URL: url!, SLUICE_TOKEN: token! });
  await waitFor(() => child.stderr().includes('waiting for it'), {
    what: 'the progress line',
    timeoutMs: 30_000,
  });
  child.signal('SIGINT');
  expect(await child.done).toBe(130);
  expect(child.stderr()).toMatch(
    new RegExp(
      `\\nstopped waiting: the checkpoint of job ${jobId} goes on; its status: GET /jobs/${jobId}/checkpoints/[0-9a-f-]{36}\\n$`,
    ),
  );
  expect(child.stdout()).toBe('');
  expect(gateway.checkpoints.pendingTriggers(jobId)).toBe(1);
});

describe('sluice info: checkpoints', () => {
  test('counts and settings, then the latest completed, failed and restored checkpoint', async () => {
    gateway.setStatus(jobId, 'RUNNING');
    gateway.checkpoints.enable(jobId, { intervalMs: 5_000, mode: 'at-least-once', stateBackend: 'kv' });
    const t0 = Date.UTC(2025, 0, 31, 12, 0, 0);
    gateway.checkpoints.record(jobId, {
      status: 'COMPLETED',
      triggerTimestamp: t0,
      durationMs: 120,
      stateSize: 3 * 1024 * 1024,
    });
    gateway.checkpoints.record(jobId, {
      status: 'FAILED',
      triggerTimestamp: t0 + 5_000,
      durationMs: 600_000,
      stateSize: 0,
      failureMessage: 'checkpoint 2 expired before completing',
    });
    gateway.checkpoints.record(jobId, { status: 'IN_PROGRESS' });
    gateway.checkpoints.setRestored(jobId, {
      id: 1,
      restoreTimestamp: t0 + 60_000,
      externalPath: `file:///tmp/sluice-testing/checkpoints/${jobId}/chk-1`,
      isSavepoint: false,
    });
    const { code, stdout } = await runCli(['info', jobId, ...cluster]);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('checkpoints  '));
    expect(lines.slice(at, at + 5)).toEqual([
      'checkpoints  1 completed, 1 failed, 1 in progress, 1 restored (every 5.0 s, at-least-once, kv state)',
      expect.stringMatching(/^LATEST\s+ID\s+TIME\s+DURATION\s+SIZE\s+LOCATION OR CAUSE$/),
      expect.stringMatching(
        new RegExp(
          `^completed\\s+1\\s+2025-01-31 12:00:00Z\\s+120 ms\\s+3\\.0 MiB\\s+file:///tmp/sluice-testing/checkpoints/${jobId}/chk-1$`,
        ),
      ),
      expect.stringMatching(
        /^failed\s+2\s+2025-01-31 12:00:05Z\s+10m 00s\s+0 B\s+checkpoint 2 expired before completing$/,
      ),
      expect.stringMatching(
        new RegExp(`^restored\\s+1\\s+2025-01-31 12:01:00Z\\s+-\\s+-\\s+file:///.+/${jobId}/chk-1$`),
      ),
    ]);
    expect(lines[at + 5]).toBe('');

    const json = JSON.parse((await runCli(['info', jobId, '--json', ...cluster])).stdout);
    expect(json.checkpoints.config).toMatchObject({ enabled: true, intervalMs: 5_000 });
    expect(json.checkpoints.stats.counts).toEqual({
      restored: 1,
      total: 3,
      inProgress: 1,
      completed: 1,
      failed: 1,
    });
  });

  test('a checkpointing job without any checkpoint yet says so', async () => {
    gateway.checkpoints.enable(jobId, { intervalMs: undefined });
    const { stdout } = await runCli(['info', jobId, ...cluster]);
    expect(stdout).toContain(
      '\ncheckpoints  0 completed, 0 failed, 0 in progress, 0 restored (manual only, exactly-once, heap state)\nno checkpoint yet\n',
    );
  });

  test('a job manager without checkpoint routes: info shows the rest', async () => {
    const bare = createRestServer({ gateway, token: TEST_TOKEN, maxBodyBytes: 1024 * 1024 });
    try {
      const url = await listenOnLoopback(bare);
      const { code, stdout } = await runCli(['info', jobId, '--rest-url', url, '--token', TEST_TOKEN]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^job {7}word-count/);
      expect(stdout).not.toContain('checkpoints');
      expect(stdout).toMatch(/\nVERTEX\s+PARALLELISM/);
    } finally {
      await bare.close();
    }
  });
});
