/**
 * The CLI on `npm run local -- --jobmanagers 2`'s cluster, run in the project directory with no
 * address or config given (so it finds the cluster through `.sluice/local-cluster.json`, which
 * lists both job managers and the cluster's store). Savepoint tools read that store. Then a
 * user's view of job manager failover (issue 10, docs/architecture.md §9): `sluice run`, then
 * `kill -9` of the job manager it talks to. The command keeps following the job through the
 * other one and exits 0 once the job finished, its committed output exactly-once; later
 * commands find the cluster through the job manager that is left.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCluster } from '../../local/cluster';
import { startLocalCluster } from '../../local/cluster';
import { RestClient } from '../../runtime/client/rest-client';
import { envNameForKey } from '../../runtime/config';
import { waitFor } from '../../runtime/util/wait';
import { REPO_ROOT, fixtureJob } from '../helpers/embedded';
import { checkExactlyOnce } from '../helpers/exactly-once-output';
import { TEST_LEASE_CONFIG } from '../helpers/ha-cluster';

const RECORDS = 20_000;
const KEYS = 37;

let rootDir: string;
let cluster: LocalCluster;

beforeAll(async () => {
  rootDir = await fs.mkdtemp(join(tmpdir(), 'sluice-e2e-failover-'));
  const leaseEnv = Object.fromEntries(
    Object.entries(TEST_LEASE_CONFIG).map(([key, value]) => [envNameForKey(key), String(value)]),
  );
  cluster = await startLocalCluster({
    taskManagers: 2,
    slots: 2,
    jobManagers: 2,
    cloud: 'processes',
    rootDir,
    restPort: 0,
    env: { ...process.env, ...leaseEnv },
  });
}, 180_000); // two job managers, Redis and the emulator: over 60 s on a loaded CI machine

afterAll(async () => {
  await cluster?.stop();
  await fs.rm(rootDir, { recursive: true, force: true });
});

/** `sluice` run in the project directory with no address given: the cluster file is all it has. */
function sluice(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_LOG_LEVEL: 'warn' };
  delete env.SLUICE_REST_URL;
  delete env.SLUICE_TOKEN;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'sluice.js'), ...args], {
    cwd: rootDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

test("savepoint inspect and check read the local cluster's store with no config given", async () => {
  const output = join(rootDir, 'out-savepoint');
  const run = sluice([
    'run',
    '--detached',
    fixtureJob('exactly-once-count-job'),
    '-p',
    '2',
    ...['--arg', 'records=200000', '--arg', `keys=${KEYS}`, '--arg', 'paceEvery=3', '--arg', 'interval=250'],
    ...['--arg', `output=${output}`],
  ]);
  const submitted = await run.done;
  expect(submitted.code).toBe(0);
  const jobId = submitted.stdout.trim();
  const client = new RestClient({ url: cluster.restUrl, token: cluster.token });
  await waitFor(async () => (await client.checkpointStats(jobId)).counts.completed >= 1, {
    timeoutMs: 60_000,
    what: 'a checkpoint',
  });
  const stopped = await sluice(['stop', jobId]).done;
  expect(stopped.code).toBe(0);
  const location = stopped.stdout.trim();
  expect(location).toMatch(/^s3:\/\/[^/]+\/savepoints\/savepoint-/);

  const inspected = await sluice(['savepoint', 'inspect', location]).done;
  expect(inspected.stderr).toContain(`reading the local cluster's store (bucket ${cluster.info.bucket} at `);
  expect(inspected.code).toBe(0);
  expect(inspected.stdout).toContain(jobId);
  const checked = await sluice([
    'savepoint',
    'check',
    location,
    fixtureJob('exactly-once-count-job'),
    '-p',
    '3',
  ]).done;
  expect(checked.code).toBe(0);
  expect(checked.stdout).toMatch(/compatible/i);
});

test('sluice run keeps following its job when the job manager it talked to is killed', async () => {
  expect(cluster.info.restUrls).toHaveLength(2);
  expect(cluster.info.restUrls[0]).toBe(cluster.restUrl);
  const first = new RestClient({ url: cluster.restUrl, token: cluster.token });
  expect((await first.health()).leadership).toBe('leader');
  const before = new Set((await first.listJobs()).map((j) => j.jobId));
  const output = join(rootDir, 'out');
  const run = sluice([
    'run',
    fixtureJob('exactly-once-count-job'),
    '-p',
    '2',
    '--arg',
    `records=${RECORDS}`,
    '--arg',
    `keys=${KEYS}`,
    '--arg',
    'paceEvery=3',
    '--arg',
    'interval=250',
    '--arg',
    `output=${output}`,
  ]);
  const jobId = await waitFor(async () => (await first.listJobs()).find((j) => !before.has(j.jobId))?.jobId, {
    timeoutMs: 60_000,
    what: 'the job to be submitted',
  });
  await waitFor(async () => (await first.checkpointStats(jobId)).counts.completed >= 1, {
    timeoutMs: 60_000,
    what: 'a checkpoint before the kill',
  });
  const jobManager = cluster.processes.find((p) => p.name === 'jobmanager')!;
  process.kill(jobManager.pid, 'SIGKILL');

  const result = await run.done;
  expect(result.stderr).toContain(`(${jobId}) FINISHED`);
  expect(result.code).toBe(0);
  expect(checkExactlyOnce(output, RECORDS, KEYS)).toBe(2 * RECORDS);

  // A later command finds the cluster through the job manager that is left.
  const listed = await sluice(['list']).done;
  expect(listed.code).toBe(0);
  expect(listed.stdout).toMatch(new RegExp(`${jobId}\\s+exactly-once-count\\S*\\s+FINISHED`));
});
