/**
 * The dashboard in a real browser (headless Debian chromium through playwright-core) against
 * `npm run local`'s cluster: a job manager and two TaskManager processes on the processes
 * cloud, running a real job submitted with the CLI. Screenshots go to test-output/dashboard/.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import type { LocalCluster } from '../../local/cluster';
import { startLocalCluster } from '../../local/cluster';
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
let jobId: string;
/** Every request the page made: URL and whether it carried the bearer token. */
const requests: { url: string; authorization?: string }[] = [];
const consoleErrors: string[] = [];
/** `<status> <path>` of every answer >= 400 the page got. */
const failedResponses: string[] = [];

/** A direct call to the REST API; `token: null` sends none. */
async function rest<T>(
  path: string,
  token: string | null = cluster.token,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${cluster.restUrl}${path}`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json().catch(() => undefined)) as T };
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  rootDir = await fs.mkdtemp(join(tmpdir(), 'sluice-dashboard-'));
  await fs.mkdir(SCREENSHOTS, { recursive: true });
  cluster = await startLocalCluster({
    taskManagers: 2,
    slots: 2,
    cloud: 'processes',
    rootDir,
    restPort: 0,
    // Under jest the logger is silent by default; the log tail needs the TaskManagers' lines.
    env: { ...process.env, SLUICE_LOG_LEVEL: 'info' },
  });
  const run = await promisify(execFile)(
    process.execPath,
    [join(REPO_ROOT, 'bin', 'sluice.js'), 'run', fixtureJob('dashboard-job'), '-p', '2', '--detached'],
    {
      env: {
        ...process.env,
        SLUICE_REST_URL: cluster.restUrl,
        SLUICE_TOKEN: cluster.token,
        SLUICE_LOG_LEVEL: 'warn',
      },
    },
  );
  jobId = /[0-9a-f]{32}/.exec(run.stdout)![0];
  await waitFor(async () => (await rest<JobDetails>(`/jobs/${jobId}`)).body.status === 'RUNNING', {
    timeoutMs: 30_000,
    what: 'the job to run',
  });
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('request', (r) => requests.push({ url: r.url(), authorization: r.headers()['authorization'] }));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) failedResponses.push(`${r.status()} ${new URL(r.url()).pathname}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
  await fs.rm(rootDir, { recursive: true, force: true });
});

test('a wrong token shows a login error and is not kept', async () => {
  await page.goto(cluster.restUrl);
  await page.fill('#token', 'not-the-token');
  await page.click('button[type=submit]');
  await page.getByTestId('login-error').waitFor();
  expect(await page.getByTestId('login-error').textContent()).toMatch(/did not accept/);
  expect(await page.evaluate('sessionStorage.length')).toBe(0);
  await shot('login-error');
});

test('overview: the TaskManagers and their slots', async () => {
  await page.fill('#token', cluster.token);
  await page.click('button[type=submit]');
  await expectText(page.getByTestId('stat-taskmanagers').locator('.stat-value'), '2');
  expect(await page.getByTestId('stat-slots-total').locator('.stat-value').textContent()).toBe('4');
  // The job holds two slots (one sharing group, parallelism 2).
  await expectText(page.getByTestId('stat-slots-free').locator('.stat-value'), '2');
  expect(await page.getByTestId('taskmanager-row').count()).toBe(2);
  await shot('overview');
});

test('jobs: the running job with its tasks', async () => {
  await page.click('nav >> text=Jobs');
  const row = page.locator(`tr[data-job-id="${jobId}"]`);
  await row.waitFor();
  expect(await row.textContent()).toMatch(/dashboard-demo.*RUNNING/);
  expect(await row.locator('button', { hasText: 'Cancel' }).count()).toBe(1);
  await shot('jobs');
});

test('job graph: the chains with their operators, the partitioner, and growing record counts', async () => {
  await page.locator(`tr[data-job-id="${jobId}"] a`).first().click();
  await page.getByTestId('vertex').first().waitFor();
  const plan = (await rest<{ plan: { nodes: { operators: { name: string }[] }[] } }>(`/jobs/${jobId}/plan`))
    .body;
  const chains = await page
    .getByTestId('vertex')
    .evaluateAll((boxes) =>
      boxes.map((b) =>
        [...b.querySelectorAll('[data-testid=operator]')].map((li) => li.firstChild?.textContent),
      ),
    );
  expect(chains).toEqual(plan.plan.nodes.map((n) => n.operators.map((o) => o.name)));
  expect(chains).toEqual([
    ['ticks', 'Timestamps/Watermarks', 'double'],
    ['sum-per-key', 'sample', 'format', 'Print'],
  ]);
  expect(await page.getByTestId('edge-label').allTextContents()).toEqual(['HASH']);

  const recordsIn = async (): Promise<number> =>
    (await page.getByTestId('subtask-records-in').allTextContents()).reduce((n, t) => n + parseCount(t), 0);
  await page.getByTestId('vertex').nth(1).click();
  const first = await recordsIn();
  await waitFor(async () => (await recordsIn()) > first, { timeoutMs: 20_000, what: 'records in to grow' });

  // The second chain's event time: the wall clock of the ticks, shown per subtask and advancing.
  const watermarks = async (): Promise<number[]> =>
    (await page.getByTestId('subtask-watermark').allTextContents()).map((t) =>
      Date.parse(t.replace(' ', 'T')),
    );
  await waitFor(async () => (await watermarks()).every((w) => Number.isFinite(w)), {
    timeoutMs: 20_000,
    what: 'a watermark on every subtask',
  });
  const before = Math.min(...(await watermarks()));
  expect(Math.abs(before - Date.now())).toBeLessThan(60_000);
  await waitFor(async () => Math.min(...(await watermarks())) > before, {
    timeoutMs: 20_000,
    what: 'the watermarks to advance',
  });
  // Per operator: the chain's operators by name, each with the watermark it has seen.
  expect(await page.getByTestId('operator-row').locator('td:first-child').allTextContents()).toEqual(
    plan.plan.nodes[1]!.operators.map((o) => o.name),
  );
  await shot('job-graph');
});

test('job output: the printed lines', async () => {
  await page.getByTestId('tab-output').click();
  await waitFor(async () => /sum \d+/.test((await page.getByTestId('job-output').textContent()) ?? ''), {
    timeoutMs: 20_000,
    what: 'printed lines',
  });
  await shot('job-output');
});

test('TaskManager page: slots, heartbeat and the tail of its log', async () => {
  await page.click('nav >> text=TaskManagers');
  await page.getByTestId('taskmanager-row').first().locator('a').click();
  await page.getByTestId('slot-table').waitFor();
  await waitFor(
    async () => /registered at the job manager/.test((await page.getByTestId('tm-log').textContent()) ?? ''),
    {
      timeoutMs: 20_000,
      what: 'the log tail',
    },
  );
  expect(await page.getByTestId('tm-heartbeat').textContent()).toMatch(/ago/);
  await shot('taskmanager');
});

test('exceptions: a kill -9 of a TaskManager shows in the history', async () => {
  const job = (await rest<JobDetails>(`/jobs/${jobId}`)).body;
  const victim = job.vertices[0]!.subtasks[0]!.taskManagerId!;
  const proc = cluster.processes.find((p) => p.name === victim)!;
  process.kill(proc.pid, 'SIGKILL');
  await page.goto(`${cluster.restUrl}/#/jobs/${jobId}/exceptions`);
  const row = page.getByTestId('exception-row').first();
  await row.waitFor({ timeout: 30_000 });
  // Either the job manager notices the lost control connection first, or a task on the other
  // TaskManager its lost data connection: both entries name the killed TaskManager.
  expect(await row.textContent()).toMatch(/TaskManagerLostError|NetworkError/);
  expect(await row.textContent()).toContain(victim);
  await shot('job-exceptions');
  // The job restarts on the surviving TaskManager.
  await waitFor(async () => (await rest<JobDetails>(`/jobs/${jobId}`)).body.status === 'RUNNING', {
    timeoutMs: 30_000,
    what: 'the job to run again',
  });
});

test('the token: on every data request, in no URL, not in the page; data needs it, assets do not', async () => {
  const api = requests.filter((r) => new URL(r.url).origin === cluster.restUrl);
  const assets = ['/', '/dashboard/app.js', '/dashboard/app.css'];
  const data = api.filter((r) => !assets.includes(new URL(r.url).pathname));
  expect(data.length).toBeGreaterThan(10);
  for (const r of data) expect(r.authorization?.startsWith('Bearer ')).toBe(true);
  for (const r of api) expect(r.url).not.toContain(cluster.token);
  expect(await page.content()).not.toContain(cluster.token);
  // No console errors but Chromium's report of the one refused login, and no other failed request
  // (before the deliberate token-less fetches below).
  expect(failedResponses).toEqual(['401 /config']);
  expect(consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  expect(consoleErrors.length).toBeLessThanOrEqual(1);

  const paths = [...new Set(data.map((r) => new URL(r.url).pathname))];
  expect(paths).toEqual(
    expect.arrayContaining(['/config', '/overview', `/jobs/${jobId}/plan`, `/jobs/${jobId}/exceptions`]),
  );
  for (const path of paths) expect((await rest(path, null)).status).toBe(401);
  // From the page too, without the header.
  const statuses = await page.evaluate(
    async (ps) => Promise.all(ps.map(async (p) => (await fetch(p)).status)),
    paths,
  );
  expect(new Set(statuses)).toEqual(new Set([401]));
  for (const path of assets) expect((await fetch(`${cluster.restUrl}${path}`)).status).toBe(200);
});

function parseCount(text: string): number {
  const m = /([\d.]+)\s*([kMG]?)/.exec(text);
  if (!m) return 0;
  const scale = { '': 1, k: 1e3, M: 1e6, G: 1e9 }[m[2] as '' | 'k' | 'M' | 'G'];
  return Number(m[1]) * scale;
}

async function expectText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await waitFor(async () => (await locator.textContent())?.trim() === text, {
    timeoutMs: 15_000,
    what: `'${text}'`,
  });
}

test('cancel asks for confirmation, then cancels the job', async () => {
  await page.click('nav >> text=Jobs');
  const row = page.locator(`tr[data-job-id="${jobId}"]`);
  await row.locator('button', { hasText: 'Cancel' }).click();
  expect(await row.textContent()).toContain('Cancel job “dashboard-demo”?');
  expect((await rest<JobDetails>(`/jobs/${jobId}`)).body.status).toBe('RUNNING');
  await row.locator('button', { hasText: 'Yes, cancel' }).click();
  await waitFor(async () => (await rest<JobDetails>(`/jobs/${jobId}`)).body.status === 'CANCELED', {
    timeoutMs: 20_000,
    what: 'the job to be canceled',
  });
  await page
    .locator(`tr[data-job-id="${jobId}"] .badge`, { hasText: /^CANCELED$/ })
    .waitFor({ timeout: 15_000 });
});

test('back pressure: the source behind a slow operator turns red', async () => {
  const run = await promisify(execFile)(
    process.execPath,
    [
      join(REPO_ROOT, 'bin', 'sluice.js'),
      'run',
      fixtureJob('slow-consumer-job'),
      '--arg',
      'count=3000000',
      '-p',
      '1',
      '--detached',
    ],
    {
      env: {
        ...process.env,
        SLUICE_REST_URL: cluster.restUrl,
        SLUICE_TOKEN: cluster.token,
        SLUICE_LOG_LEVEL: 'warn',
      },
    },
  );
  const slowJob = /[0-9a-f]{32}/.exec(run.stdout)![0];
  await page.goto(`${cluster.restUrl}/#/jobs/${slowJob}`);
  const source = page.getByTestId('vertex').filter({ hasText: 'fast-source' });
  await source.waitFor();
  await waitFor(async () => (await source.getAttribute('class'))?.includes('bp-high'), {
    timeoutMs: 30_000,
    what: 'the source box to show high back pressure',
  });
  await source.click();
  expect(await page.getByTestId('subtask-table').locator('.bp-cell.bp-high').count()).toBeGreaterThan(0);
  await shot('job-backpressure');
  await fetch(`${cluster.restUrl}/jobs/${slowJob}?mode=cancel`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${cluster.token}` },
  });
});
