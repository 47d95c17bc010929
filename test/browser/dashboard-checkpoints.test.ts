/**
 * The dashboard's checkpoints tab in a real browser (headless Debian chromium through
 * playwright-core) against a REST server over the testing gateways with scripted checkpoint
 * statistics: counts, latest completed / failed / restored, the history, a checkpoint's
 * per-subtask acknowledgements on click, the settings, live updates, and a job that does not
 * checkpoint. No console errors, no failed requests. Screenshot in test-output/dashboard/.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { waitFor } from '../../runtime/util/wait';
import type { TestBrowser } from '../helpers/browser';
import { launchChromium } from '../helpers/browser';
import { REPO_ROOT } from '../helpers/embedded';
import {
  TEST_TOKEN,
  listenOnLoopback,
  restServerWithGateway,
  testArtifact,
  wordCountSubmission,
} from '../helpers/rest-fixtures';
import type { TestingJobManagerGateway } from '../helpers/testing-gateway';

jest.setTimeout(60_000);

const SCREENSHOTS = join(REPO_ROOT, 'test-output', 'dashboard');

let app: FastifyInstance;
let gateway: TestingJobManagerGateway;
let url: string;
let browser: TestBrowser;
let page: Page;
const consoleErrors: string[] = [];
const failedResponses: string[] = [];

async function newJob(): Promise<string> {
  const artifact = testArtifact();
  await gateway.putArtifact(artifact.sha256, artifact.body);
  const { jobId } = await gateway.submitJob(wordCountSubmission(artifact.sha256));
  gateway.setStatus(jobId, 'RUNNING');
  return jobId;
}

async function textOf(testId: string): Promise<string> {
  return normalize(await page.getByTestId(testId).innerText());
}

/** Rendered text (cells and blocks apart) on one line. */
function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

beforeAll(async () => {
  await fs.mkdir(SCREENSHOTS, { recursive: true });
  ({ app, gateway } = restServerWithGateway({ insight: true }));
  url = await listenOnLoopback(app);
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) failedResponses.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
  await page.goto(url);
  await page.fill('#token', TEST_TOKEN);
  await page.click('button[type=submit]');
  await page.getByTestId('stat-taskmanagers').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

test('counts, latest, history with per-subtask details on click, settings, live updates', async () => {
  const jobId = await newJob();
  const checkpoints = gateway.checkpoints;
  checkpoints.enable(jobId, { intervalMs: 5_000, mode: 'exactly-once', retainedCheckpoints: 3 });
  const t0 = Date.now() - 60_000;
  checkpoints.record(jobId, {
    status: 'COMPLETED',
    triggerTimestamp: t0,
    durationMs: 120,
    stateSize: 3 * 1024 * 1024,
  });
  checkpoints.record(jobId, {
    status: 'FAILED',
    triggerTimestamp: t0 + 5_000,
    failureMessage: 'checkpoint 2 expired before completing',
  });
  checkpoints.record(jobId, {
    status: 'COMPLETED',
    triggerTimestamp: t0 + 10_000,
    durationMs: 80,
    stateSize: 2048,
  });
  checkpoints.setRestored(jobId, {
    id: 1,
    restoreTimestamp: t0 + 30_000,
    externalPath: `file:///tmp/sluice-testing/checkpoints/${jobId}/chk-1`,
    isSavepoint: false,
  });

  await page.goto(`${url}/#/jobs/${jobId}`);
  await page.getByTestId('tab-checkpoints').click();
  await page.getByTestId('checkpoints-tab').waitFor();
  await page.getByTestId('ckpt-history').waitFor();
  expect(page.url()).toBe(`${url}/#/jobs/${jobId}/checkpoints`);

  expect(await textOf('ckpt-completed')).toBe('2 completed');
  expect(await textOf('ckpt-failed')).toBe('1 failed');
  expect(await textOf('ckpt-in-progress')).toBe('0 in progress');
  expect(await textOf('ckpt-restored')).toBe('1 restored');
  expect(await textOf('ckpt-latest-completed')).toMatch(
    new RegExp(`^completed 3 .+ 80 ms 2\\.0 KiB file:///tmp/sluice-testing/checkpoints/${jobId}/chk-3$`),
  );
  expect(await textOf('ckpt-latest-failed')).toMatch(/^failed 2 .+ checkpoint 2 expired before completing$/);
  expect(await textOf('ckpt-latest-restored')).toMatch(new RegExp(`^restored 1 .+/${jobId}/chk-1$`));

  const rows = page.getByTestId('ckpt-row');
  expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-checkpoint-id')))).toEqual([
    '3',
    '2',
    '1',
  ]);
  const subtaskCount = gateway.job(jobId).submission.jobGraph.vertices.reduce((n, v) => n + v.parallelism, 0);
  const first = normalize(await rows.nth(2).innerText());
  expect(first).toMatch(
    new RegExp(`^1 COMPLETED periodic .+ 120 ms 3\\.0 MiB ${subtaskCount}/${subtaskCount}$`),
  );

  const config = await textOf('ckpt-config');
  expect(config).toContain('mode exactly-once');
  expect(config).toContain('interval 5s');
  expect(config).toContain('retained checkpoints 3');
  expect(config).toContain(`storage file:///tmp/sluice-testing/checkpoints/${jobId}`);

  // A click shows the per-subtask acknowledgements, named by vertex.
  await rows.nth(2).click();
  await page.getByTestId('ckpt-subtasks').waitFor();
  const subtaskRows = page.getByTestId('ckpt-subtask-row');
  await waitFor(async () => (await subtaskRows.count()) === subtaskCount, { what: 'subtask rows' });
  const vertexName = gateway.job(jobId).submission.jobGraph.vertices[0]!.name;
  expect(await subtaskRows.first().textContent()).toContain(vertexName);
  await page.screenshot({ path: join(SCREENSHOTS, 'job-checkpoints.png'), fullPage: true });

  // Live: a manual trigger shows in progress, then completed, without a reload.
  const triggered = checkpoints.triggerCheckpoint(jobId);
  await waitFor(async () => (await textOf('ckpt-in-progress')) === '1 in progress', {
    timeoutMs: 15_000,
    what: 'the checkpoint in progress',
  });
  expect(normalize(await rows.first().innerText())).toMatch(/^4 IN_PROGRESS manual /);
  checkpoints.finishTrigger(jobId);
  await triggered;
  await waitFor(async () => (await textOf('ckpt-completed')) === '3 completed', {
    timeoutMs: 15_000,
    what: 'the completed count to grow',
  });
  expect(await textOf('ckpt-latest-completed')).toMatch(/^completed 4 /);
});

test('a job that does not checkpoint says so', async () => {
  const jobId = await newJob();
  await page.goto(`${url}/#/jobs/${jobId}/checkpoints`);
  await page.getByTestId('checkpoints-disabled').waitFor();
  expect(await textOf('checkpoints-disabled')).toContain('does not checkpoint');
});

test('no console errors and no failed requests', () => {
  expect(consoleErrors).toEqual([]);
  expect(failedResponses).toEqual([]);
});
