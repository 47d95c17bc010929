/**
 * The dashboard's job actions and Savepoints page in a real browser (headless Debian chromium
 * through playwright-core) against `npm run local`'s cluster (a job manager and a TaskManager
 * process) running real jobs that checkpoint: a savepoint taken with the button completes and
 * is listed with its `_metadata` details; stop-with-savepoint; cancel after confirming in the
 * page. No console errors; no data without the token. Screenshots in test-output/dashboard/.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import type { LocalCluster } from '../../local/cluster';
import { startLocalCluster } from '../../local/cluster';
import type { JobCheckpointStats } from '../../runtime/checkpoint/checkpoint-stats';
import type { SavepointDetails, SavepointSummary } from '../../runtime/checkpoint/savepoint-store';
import type { JobDetails } from '../../runtime/jobmanager/gateway';
import { waitFor } from '../../runtime/util/wait';
import type { TestBrowser } from '../helpers/browser';
import { launchChromium } from '../helpers/browser';
import { REPO_ROOT, fixtureJob } from '../helpers/embedded';

jest.setTimeout(120_000);

const SCREENSHOTS = join(REPO_ROOT, 'test-output', 'dashboard');

let rootDir: string;
let cluster: LocalCluster;
let browser: TestBrowser;
let page: Page;
/** Every request the page made: URL and whether it carried the bearer token. */
const requests: { url: string; authorization?: string }[] = [];
const consoleErrors: string[] = [];
/** `<status> <method> <path>` of every answer >= 400 the page got. */
const failedResponses: string[] = [];

/** A direct call to the REST API; `token: null` sends none. */
async function rest<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string | null } = {},
): Promise<{ status: number; body: T }> {
  const token = init.token === undefined ? cluster.token : init.token;
  const response = await fetch(`${cluster.restUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json().catch(() => undefined)) as T };
}

async function runJob(fixture = 'dashboard-savepoint-job'): Promise<string> {
  const run = await promisify(execFile)(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'sluice.js'), 'run', fixtureJob(fixture), '--detached'],
    {
      env: {
        ...process.env,
        SLUICE_REST_URL: cluster.restUrl,
        SLUICE_TOKEN: cluster.token,
        SLUICE_LOG_LEVEL: 'warn',
      },
    },
  );
  const jobId = /[0-9a-f]{32}/.exec(run.stdout)![0];
  if (fixture !== 'dashboard-savepoint-job') {
    await waitFor(async () => (await status(jobId)) === 'RUNNING', {
      timeoutMs: 45_000,
      what: 'the job to run',
    });
    return jobId;
  }
  // A savepoint needs every task running: the first completed checkpoint shows they are.
  await waitFor(
    async () => (await rest<JobCheckpointStats>(`/jobs/${jobId}/checkpoints`)).body.counts?.completed > 0,
    { timeoutMs: 45_000, what: 'the job to run and complete a checkpoint' },
  );
  expect(await status(jobId)).toBe('RUNNING');
  return jobId;
}

async function status(jobId: string): Promise<string> {
  return (await rest<JobDetails>(`/jobs/${jobId}`)).body.status;
}

async function listed(): Promise<SavepointSummary[]> {
  return (await rest<{ savepoints: SavepointSummary[] }>('/savepoints')).body.savepoints;
}

function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

beforeAll(async () => {
  rootDir = await fs.mkdtemp(join(tmpdir(), 'sluice-dashboard-sp-'));
  await fs.mkdir(SCREENSHOTS, { recursive: true });
  cluster = await startLocalCluster({ taskManagers: 1, slots: 4, cloud: 'processes', rootDir, restPort: 0 });
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('request', (r) => requests.push({ url: r.url(), authorization: r.headers()['authorization'] }));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400)
      failedResponses.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  await page.goto(cluster.restUrl);
  await page.fill('#token', cluster.token);
  await page.click('button[type=submit]');
  await page.getByTestId('stat-taskmanagers').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
  await fs.rm(rootDir, { recursive: true, force: true });
});

test('a savepoint taken with the button completes, is listed and shows its details', async () => {
  const jobId = await runJob();
  expect(await listed()).toEqual([]);
  await page.click('nav >> text=Jobs');
  const row = page.locator(`tr[data-job-id="${jobId}"]`);
  await row.getByTestId('action-savepoint').click();
  const dialog = row.getByTestId('confirm-dialog');
  expect(normalize(await dialog.innerText())).toContain('Take a savepoint of job “dashboard-savepoints”?');
  await page.screenshot({ path: join(SCREENSHOTS, 'job-savepoint-confirm.png'), fullPage: true });
  // Dismissing does nothing.
  await dialog.locator('button', { hasText: /^No$/ }).click();
  expect(await row.getByTestId('confirm-dialog').count()).toBe(0);
  expect(await listed()).toEqual([]);

  await row.getByTestId('action-savepoint').click();
  await row.locator('button', { hasText: 'Yes, savepoint' }).click();
  const result = row.getByTestId('action-result');
  await result.waitFor();
  await waitFor(async () => /COMPLETED|FAILED/.test(await result.innerText()), {
    timeoutMs: 60_000,
    what: 'the savepoint to end',
  });
  expect(normalize(await result.innerText())).toMatch(/^Savepoint: COMPLETED /);
  const location = await row.getByTestId('action-message').innerText();
  expect(location).toMatch(new RegExp(`/savepoints/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
  expect((await listed()).map((s) => s.location)).toEqual([location]);
  expect(await status(jobId)).toBe('RUNNING');
  await page.screenshot({ path: join(SCREENSHOTS, 'jobs-savepoint-done.png'), fullPage: true });

  await page.click('nav >> text=Savepoints');
  const listedRow = page.locator(`tr[data-testid="savepoint-row"][data-location="${location}"]`);
  await listedRow.waitFor();
  expect(normalize(await listedRow.innerText())).toMatch(
    new RegExp(`^dashboard-savepoints ${jobId} .+ savepoint \\d+ [\\d.]+ (B|KiB|MiB) ${location}$`),
  );
  await listedRow.click();
  await page.getByTestId('savepoint-details').waitFor();
  expect(decodeURIComponent(page.url())).toBe(`${cluster.restUrl}/#/savepoints/${location}`);

  // The page shows what the savepoint's _metadata says.
  const details = (await rest<SavepointDetails>(`/savepoints/details?path=${encodeURIComponent(location)}`))
    .body;
  expect(details.location).toBe(location);
  expect(details.operators.map((o) => o.uid)).toEqual(expect.arrayContaining(['ticks', 'count']));
  const operatorRows = page.getByTestId('savepoint-operator');
  expect(await operatorRows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-operator')))).toEqual(
    details.operators.map((o) => o.name),
  );
  const count = details.operators.find((o) => o.uid === 'count')!;
  expect(count.keyedStateSize).toBeGreaterThan(0);
  const countRow = normalize(await operatorRows.nth(details.operators.indexOf(count)).innerText());
  // The state names come from _metadata: the job's ValueStateDescriptor('count').
  expect(count.keyedStates).toEqual(['count']);
  const ticks = details.operators.find((o) => o.uid === 'ticks')!;
  expect(ticks.operatorStates.length).toBeGreaterThan(0);
  expect(countRow).toMatch(
    new RegExp(`^${count.name} count count ${count.parallelism} / ${count.maxParallelism} [\\d.]+ (B|KiB) `),
  );
  expect(countRow).toContain(`#0 key groups 0–${count.subtasks[0]!.keyGroups!.end} keyed `);
  const facts = normalize(await page.getByTestId('savepoint-facts').innerText());
  expect(facts).toContain(`location ${location}`);
  expect(facts).toContain(`checkpoint ${details.checkpointId}`);
  await page.screenshot({ path: join(SCREENSHOTS, 'savepoints.png'), fullPage: true });

  // Details refuse a location outside the savepoints/ folder, naming the rule.
  for (const path of ['../checkpoints', 'checkpoints', 'savepoints/../jobs', '/etc/passwd']) {
    const refused = await rest<{ code: string; message: string }>(
      `/savepoints/details?path=${encodeURIComponent(path)}`,
    );
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('a savepoint location must lie inside the configured blob store');
  }
  const missing = await rest<{ message: string }>('/savepoints/details?path=savepoints%2Fnone');
  expect(missing.status).toBe(404);
  expect(missing.body.message).toMatch(/^no savepoint at savepoints\/none: .+\/_metadata does not exist$/);
  await rest(`/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
});

test('stop with a savepoint: the job ends with one, or the missing route is named', async () => {
  const jobId = await runJob();
  await page.goto(`${cluster.restUrl}/#/jobs/${jobId}`);
  const head = page.locator('.page-head');
  await head.getByTestId('action-stop').click();
  expect(normalize(await head.getByTestId('confirm-dialog').innerText())).toContain(
    'Stop job “dashboard-savepoints” with a savepoint?',
  );
  await head.locator('button', { hasText: 'Yes, stop with savepoint' }).click();
  const result = head.getByTestId('action-result');
  await waitFor(async () => /COMPLETED|FAILED/.test((await result.innerText().catch(() => '')) || ''), {
    timeoutMs: 60_000,
    what: 'stop with savepoint to end',
  });
  const text = normalize(await result.innerText());
  const routeMissing = (await rest(`/jobs/${jobId}/stop`, { method: 'POST', body: {} })).status === 404;
  if (routeMissing) {
    // This job manager has no stop route: the page says so, and the job keeps running.
    expect(text).toBe(`Stop with savepoint: FAILED no route POST /jobs/${jobId}/stop`);
    expect(await status(jobId)).toBe('RUNNING');
  } else {
    expect(text).toMatch(/^Stop with savepoint: COMPLETED .+\/savepoints\/savepoint-/);
    await waitFor(async () => (await status(jobId)) === 'FINISHED', { what: 'the job to stop' });
  }
  await page.screenshot({ path: join(SCREENSHOTS, 'job-stop-with-savepoint.png'), fullPage: true });
  if (routeMissing) await rest(`/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
});

test('cancel through the button after confirming in the page', async () => {
  const jobId = await runJob();
  await page.goto(`${cluster.restUrl}/#/jobs/${jobId}`);
  const head = page.locator('.page-head');
  await head.getByTestId('action-cancel').click();
  const dialog = head.getByTestId('confirm-dialog');
  expect(normalize(await dialog.innerText())).toContain('Cancel job “dashboard-savepoints”?');
  expect(await status(jobId)).toBe('RUNNING');
  await page.keyboard.press('Escape');
  await head.getByTestId('confirm-dialog').waitFor({ state: 'detached', timeout: 5_000 });
  expect(await head.getByTestId('confirm-dialog').count()).toBe(0);
  expect(await status(jobId)).toBe('RUNNING');

  await head.getByTestId('action-cancel').click();
  await head.locator('button', { hasText: 'Yes, cancel' }).click();
  await waitFor(async () => (await status(jobId)) === 'CANCELED', {
    timeoutMs: 20_000,
    what: 'the job to be canceled',
  });
  await head.locator('.badge', { hasText: /^CANCELED$/ }).waitFor({ timeout: 15_000 });
  expect(await head.getByTestId('action-savepoint').count()).toBe(0);
});

test('a job that does not checkpoint offers cancel only', async () => {
  const jobId = await runJob('unbounded-job');
  await page.goto(`${cluster.restUrl}/#/jobs/${jobId}`);
  const head = page.locator('.page-head');
  await head.getByTestId('action-cancel').waitFor();
  await waitFor(async () => (await head.getByTestId('action-savepoint').count()) === 0, {
    what: 'the savepoint button to go',
  });
  expect(await head.getByTestId('action-stop').count()).toBe(0);
  await rest(`/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
});

test('no console errors, no failed request, no data without the token', async () => {
  const stopMissing = failedResponses.filter((f) => /^404 POST \/jobs\/[0-9a-f]{32}\/stop$/.test(f));
  expect(failedResponses.filter((f) => !stopMissing.includes(f))).toEqual([]);
  // Chromium reports a failed fetch on the console: only the missing stop route's, if any.
  expect(consoleErrors.filter((e) => !/status of 404/.test(e))).toEqual([]);
  expect(consoleErrors.length).toBe(stopMissing.length);

  const assets = ['/', '/dashboard/app.js', '/dashboard/app.css'];
  const data = requests.filter(
    (r) => new URL(r.url).origin === cluster.restUrl && !assets.includes(new URL(r.url).pathname),
  );
  for (const r of data) expect(r.authorization).toBe(`Bearer ${cluster.token}`);
  for (const r of requests) expect(r.url).not.toContain(cluster.token);
  const paths = [...new Set(data.map((r) => new URL(r.url).pathname + new URL(r.url).search))];
  expect(paths).toEqual(
    expect.arrayContaining([
      '/savepoints',
      expect.stringMatching(/^\/savepoints\/details\?path=/),
      expect.stringMatching(/^\/jobs\/[0-9a-f]{32}\/savepoints\/[0-9a-f-]+$/),
    ]),
  );
  for (const path of paths) expect((await rest(path, { token: null })).status).toBe(401);
  const posted = await rest(`/jobs/${'0'.repeat(32)}/savepoints`, { method: 'POST', body: {}, token: null });
  expect(posted.status).toBe(401);
});
