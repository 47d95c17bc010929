/**
 * `npm run local` as a real process (`node --import tsx local/main.ts`) with a fake `sluice`:
 * it stays up until SIGTERM or Ctrl-C, then stops every child and removes the cluster file,
 * also when the signal arrives while it is still starting.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readClusterFile } from '../../../local/cluster-file';
import { waitFor } from '../../../runtime/util/wait';
import { descendants, isRunning } from '../../helpers/processes';
import { FAKE_SLUICE_COMMAND } from './fake-sluice-command';

const REPO = join(__dirname, '..', '..', '..');

interface Launcher {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let rootDir: string;
const launched: Launcher[] = [];

beforeEach(async () => {
  rootDir = await fs.mkdtemp(join(tmpdir(), 'sluice-launcher-'));
});

afterEach(async () => {
  for (const l of launched.splice(0)) l.child.kill('SIGKILL');
  await fs.rm(rootDir, { recursive: true, force: true });
});

function launch(args: string[], env: NodeJS.ProcessEnv = {}): Launcher {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/main.ts',
      '--root-dir',
      rootDir,
      '--rest-port',
      '0',
      '--sluice-command',
      JSON.stringify(FAKE_SLUICE_COMMAND),
      ...args,
    ],
    { cwd: REPO, env: { ...process.env, ...env } },
  );
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (output += chunk));
  child.stderr.on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const launcher = { child, output: () => output, exited };
  launched.push(launcher);
  return launcher;
}

async function allGone(pids: number[]): Promise<boolean> {
  return (await Promise.all(pids.map(isRunning))).every((alive) => !alive);
}

const clusterFile = (): string => join(rootDir, '.sluice', 'local-cluster.json');

test('runs the cluster until SIGTERM, prints how to use it, then stops every process and removes the file', async () => {
  const launcher = launch(['--cloud', 'processes', '--taskmanagers', '2', '--slots', '2']);
  await waitFor(() => launcher.output().includes('Ctrl-C (or SIGTERM) stops'), {
    timeoutMs: 30_000,
    what: `the launcher's summary; output so far:\n${launcher.output()}`,
  });
  const info = await readClusterFile(clusterFile());
  expect(info).toBeDefined();
  const out = launcher.output();
  expect(out).toContain(`REST API      ${info!.restUrl}`);
  expect(out).toContain(`token         ${info!.token}`);
  expect(out).toContain('cloud         processes: processes mode requested');
  expect(out).toContain(
    `${join(rootDir, '.sluice', 'logs')}/ (jobmanager.log, taskmanager-1.log, taskmanager-2.log)`,
  );
  expect(out).toContain('npx sluice run functions/word-count.ts -p 4');
  expect(info!.pids.launcher).toBe(launcher.child.pid);
  expect(info!.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:/);

  const listed = await fetch(`${info!.restUrl}/taskmanagers`, {
    headers: { authorization: `Bearer ${info!.token}` },
  });
  expect(((await listed.json()) as { taskManagers: unknown[] }).taskManagers).toHaveLength(2);
  const children = await descendants(launcher.child.pid!);
  const expected = [
    info!.pids.jobmanager,
    ...info!.pids.taskmanagers,
    info!.pids.cloud.redis!,
    info!.pids.cloud.fauxqs!,
  ];
  expect(children).toEqual(expect.arrayContaining(expected));

  launcher.child.kill('SIGTERM');
  expect(await launcher.exited).toEqual({ code: 0, signal: null });
  expect(launcher.output()).toContain('local cluster stopped');
  expect(await allGone(children)).toBe(true);
  await expect(fs.access(clusterFile())).rejects.toThrow();
});

test('SIGTERM while the TaskManagers are still registering stops everything started so far', async () => {
  const launcher = launch(['--cloud', 'processes', '--taskmanagers', '2'], {
    FAKE_SLUICE_FAULT: 'taskmanager-never-registers',
  });
  // redis-server, fauxqs, the job manager and both TaskManagers.
  const children = await waitFor(
    async () => {
      const pids = await descendants(launcher.child.pid!);
      return pids.length >= 5 && launcher.output().includes('waiting for them to register')
        ? pids
        : undefined;
    },
    { timeoutMs: 30_000, what: 'five child processes' },
  );
  launcher.child.kill('SIGTERM');
  expect(await launcher.exited).toEqual({ code: 0, signal: null });
  expect(launcher.output()).toContain('stopped before the cluster was up');
  expect(await allGone(children)).toBe(true);
  await expect(fs.access(clusterFile())).rejects.toThrow();
});

test('a job manager that dies ends the launcher with code 1, its log tail, and no process left', async () => {
  const launcher = launch(['--cloud', 'embedded', '--taskmanagers', '1']);
  await waitFor(() => launcher.output().includes('Ctrl-C (or SIGTERM) stops'), {
    timeoutMs: 30_000,
    what: 'the summary',
  });
  const info = (await readClusterFile(clusterFile()))!;
  const children = await descendants(launcher.child.pid!);
  process.kill(info.pids.jobmanager, 'SIGKILL');
  expect(await launcher.exited).toEqual({ code: 1, signal: null });
  expect(launcher.output()).toMatch(
    /jobmanager \(pid \d+\) was killed by SIGKILL; last lines of .*jobmanager\.log/,
  );
  expect(launcher.output()).toContain('registered taskmanager-1');
  expect(await allGone(children)).toBe(true);
  await expect(fs.access(clusterFile())).rejects.toThrow();
});

test('a cloud process that dies (redis-server) is reported and ends the launcher with code 1, no process left', async () => {
  const launcher = launch(['--cloud', 'processes', '--taskmanagers', '1']);
  await waitFor(() => launcher.output().includes('Ctrl-C (or SIGTERM) stops'), {
    timeoutMs: 30_000,
    what: `the summary; output so far:\n${launcher.output()}`,
  });
  const info = (await readClusterFile(clusterFile()))!;
  const redisPid = info.pids.cloud.redis!;
  const children = await descendants(launcher.child.pid!);
  expect(children).toContain(redisPid);
  process.kill(redisPid, 'SIGKILL');
  expect(await launcher.exited).toEqual({ code: 1, signal: null });
  const out = launcher.output();
  expect(out).toContain(`redis-server (pid ${redisPid}) was killed by SIGKILL; last lines of`);
  expect(out).toContain('redis-server is gone, so the cluster has no Redis: stopping the local cluster');
  expect(out).toContain('local cluster stopped');
  expect(await allGone(children)).toBe(true);
  await expect(fs.access(clusterFile())).rejects.toThrow();
});

test('--help describes the options and exits 0', async () => {
  const launcher = launch(['--help']);
  expect(await launcher.exited).toEqual({ code: 0, signal: null });
  for (const option of ['--taskmanagers', '--slots', '--cloud', '--rest-port', 'auto', 'embedded']) {
    expect(launcher.output()).toContain(option);
  }
  expect(launcher.output()).not.toContain('--sluice-command');
});

test('a bad option exits 1 with a message', async () => {
  const launcher = launch(['--cloud', 'kubernetes']);
  expect((await launcher.exited).code).toBe(1);
  expect(launcher.output()).toContain("argument 'kubernetes' is invalid");
});

test('a SIGKILLed launcher leaves no job manager or TaskManager behind (they watch its IPC channel)', async () => {
  const launcher = launch(['--cloud', 'embedded', '--taskmanagers', '2']);
  await waitFor(() => launcher.output().includes('Ctrl-C (or SIGTERM) stops'), {
    timeoutMs: 30_000,
    what: 'the summary',
  });
  const info = (await readClusterFile(clusterFile()))!;
  const cluster = [info.pids.jobmanager, ...info.pids.taskmanagers];
  launcher.child.kill('SIGKILL');
  await launcher.exited;
  await waitFor(() => allGone(cluster), { timeoutMs: 15_000, what: `pids ${cluster.join(', ')} to exit` });
  // Each shut down through its own SIGTERM handler, as on a normal stop.
  expect(await fs.readFile(join(rootDir, '.sluice', 'logs', 'jobmanager.log'), 'utf8')).toContain(
    'SIGTERM, closing',
  );
});
