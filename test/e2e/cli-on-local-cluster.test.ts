/**
 * e2e through the CLI: `npm run local`'s cluster (real job manager and 2 TaskManager processes
 * on the processes cloud), then `sluice run` / `list` / `info` / `cancel` as separate processes.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCluster } from '../../local/cluster';
import { startLocalCluster } from '../../local/cluster';
import { REPO_ROOT, fixtureJob, functionJob, runEmbedded } from '../helpers/embedded';

let rootDir: string;
let cluster: LocalCluster;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sluice(args: string[], timeoutMs = 60_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'sluice.js'), ...args], {
      env: {
        ...process.env,
        SLUICE_REST_URL: cluster.restUrl,
        SLUICE_TOKEN: cluster.token,
        SLUICE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  rootDir = await fs.mkdtemp(join(tmpdir(), 'sluice-e2e-cli-'));
  cluster = await startLocalCluster({ taskManagers: 2, slots: 2, cloud: 'processes', rootDir, restPort: 0 });
});

afterAll(async () => {
  await cluster?.stop();
  await fs.rm(rootDir, { recursive: true, force: true });
});

test('sluice run: word-count at parallelism 4 on both TaskManagers prints the embedded result', async () => {
  const run = await sluice(['run', functionJob('word-count'), '-p', '4', '--target', 'cluster']);
  expect(run.stderr).toMatch(/FINISHED|RUNNING/);
  expect(run.code).toBe(0);
  const lines = run.stdout.trim().split('\n');
  const embedded = await runEmbedded(functionJob('word-count'), {}, { parallelism: 4 });
  expect([...lines].sort()).toEqual([...embedded.lines].sort());

  const list = await sluice(['list', '--json']);
  expect(list.code).toBe(0);
  const jobs = JSON.parse(list.stdout) as { jobId: string; name: string; status: string }[];
  const job = jobs.find((j) => j.name === 'word-count')!;
  expect(job.status).toBe('FINISHED');
  const info = await sluice(['info', job.jobId, '--json']);
  const details = JSON.parse(info.stdout) as { vertices: { subtasks: { taskManagerId: string }[] }[] };
  const used = new Set(details.vertices.flatMap((v) => v.subtasks.map((s) => s.taskManagerId)));
  expect([...used].sort()).toEqual(['taskmanager-1', 'taskmanager-2']);
});

test('sluice run --detached, then cancel: the job ends CANCELED and its slots are freed', async () => {
  const run = await sluice(['run', fixtureJob('unbounded-job'), '-p', '2', '--detached']);
  expect(run.code).toBe(0);
  const jobId = run.stdout
    .trim()
    .split(/\s+/)
    .find((w) => /^[0-9a-f]{32}$/.test(w))!;
  expect(jobId).toBeDefined();
  const cancel = await sluice(['cancel', jobId]);
  expect(cancel.code).toBe(0);
  for (let i = 0; i < 100; i++) {
    const info = JSON.parse((await sluice(['info', jobId, '--json'])).stdout) as { status: string };
    if (info.status === 'CANCELED') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect((JSON.parse((await sluice(['info', jobId, '--json'])).stdout) as { status: string }).status).toBe(
    'CANCELED',
  );
});

test('a wrong token and an unreachable job manager give one clear line and exit 1', async () => {
  const wrong = await new Promise<CliRun>((resolve) => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'sluice.js'), 'list', '--rest-url', cluster.restUrl, '--token', 'nope'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout: '', stderr }));
  });
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toMatch(/token/i);
});

test('a relative --arg path is resolved where sluice runs: the cluster reads the same file as embedded', async () => {
  // The TaskManagers run in the cluster's own directory, where this relative path names nothing.
  // (A small file: output beyond 4 KiB per batch is issue 7 item 1, another change.)
  const relative = join('.sluice', `e2e-input-${process.pid}.txt`);
  await fs.mkdir(join(process.cwd(), '.sluice'), { recursive: true });
  await fs.writeFile(relative, 'to be or not to be\nthat is the question\n');
  try {
    const run = await sluice(['run', functionJob('word-count'), '-p', '2', '--arg', `input=${relative}`]);
    expect(run.stderr).toMatch(/job 'word-count' \([0-9a-f]{32}\) FINISHED/);
    expect(run.code).toBe(0);
    const embedded = await runEmbedded(functionJob('word-count'), { input: join(process.cwd(), relative) });
    expect(embedded.lines).toContain('be 2');
    // stdout holds the job's output and nothing else; status lines go to stderr.
    expect(run.stdout.trim().split('\n').sort()).toEqual([...embedded.lines].sort());
  } finally {
    await fs.rm(relative, { force: true });
  }
});

test('a file a TaskManager cannot open is named by its absolute path and the TaskManager', async () => {
  const run = await sluice([
    'run',
    functionJob('word-count'),
    '-D',
    'parallelism.default=1',
    '--arg',
    'input=./no-such-input.txt',
  ]);
  expect(run.code).toBe(1);
  const missing = join(process.cwd(), 'no-such-input.txt');
  expect(run.stderr).toContain(`cannot read ${missing} on TaskManager taskmanager-`);
  expect(run.stderr).toContain('no such file or directory');
});

test('sluice output prints a detached job’s output; --follow waits for its end', async () => {
  const detached = await sluice(['run', functionJob('word-count'), '-p', '2', '--detached']);
  expect(detached.code).toBe(0);
  const jobId = detached.stdout.trim();
  expect(jobId).toMatch(/^[0-9a-f]{32}$/);
  const followed = await sluice(['output', jobId, '--follow']);
  expect(followed.code).toBe(0);
  expect(followed.stderr).toMatch(/FINISHED/);
  const embedded = await runEmbedded(functionJob('word-count'), {}, { parallelism: 2 });
  expect(followed.stdout.trim().split('\n').sort()).toEqual([...embedded.lines].sort());
  // Once ended, the plain form prints the same output and the status.
  const again = await sluice(['output', jobId]);
  expect(again.code).toBe(0);
  expect(again.stdout).toBe(followed.stdout);
  expect(again.stderr).toContain(`job ${jobId} FINISHED`);
});
