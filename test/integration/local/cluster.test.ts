/**
 * startLocalCluster end to end with real child processes: a fake `sluice` (a real HTTP job
 * manager and TaskManagers that register with it) stands in for the runtime, so the lifecycle,
 * the readiness wait, the errors with log tails and the cleanup are exercised for real.
 */
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCluster, LocalClusterOptions, ProcessExitEvent } from '../../../local/cluster';
import { startLocalCluster } from '../../../local/cluster';
import { readClusterFile } from '../../../local/cluster-file';
import { ProcessStartError } from '../../../local/process/process-errors';
import { ConfigError, ConflictError } from '../../../runtime/errors';
import { waitFor } from '../../../runtime/util/wait';
import { isRunning } from '../../helpers/processes';
import { FAKE_SLUICE_COMMAND } from './fake-sluice-command';

let rootDir: string;
const running: LocalCluster[] = [];

beforeEach(async () => {
  rootDir = await fs.mkdtemp(join(tmpdir(), 'sluice-local-cluster-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await fs.rm(rootDir, { recursive: true, force: true });
});

function options(overrides: Partial<LocalClusterOptions> = {}): LocalClusterOptions {
  return {
    taskManagers: 2,
    slots: 3,
    cloud: 'embedded',
    rootDir,
    restPort: 0,
    sluiceCommand: FAKE_SLUICE_COMMAND,
    startTimeoutMs: 30_000,
    stopGraceMs: 2_000,
    ...overrides,
  };
}

async function start(overrides: Partial<LocalClusterOptions> = {}): Promise<LocalCluster> {
  const cluster = await startLocalCluster(options(overrides));
  running.push(cluster);
  return cluster;
}

async function get(
  cluster: LocalCluster,
  path: string,
  token?: string,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${cluster.restUrl}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, body: await response.json() };
}

/** Pids the fake processes printed in their logs (`... pid N starting`). */
async function pidsInLogs(logDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await fs.readdir(logDir)) {
    const text = await fs.readFile(join(logDir, name), 'utf8');
    for (const match of text.matchAll(/pid (\d+) starting/g)) pids.push(Number(match[1]));
  }
  return pids;
}

async function allGone(pids: number[]): Promise<boolean> {
  return (await Promise.all(pids.map(isRunning))).every((alive) => !alive);
}

const logDirOf = (): string => join(rootDir, '.sluice', 'logs');

describe('startLocalCluster (embedded cloud, fake sluice)', () => {
  test('starts a job manager and TaskManagers that register, describes them, and stops them all', async () => {
    const progress: string[] = [];
    const cluster = await start({ onProgress: (m) => progress.push(m) });

    expect(cluster.restUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cluster.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cluster.cloud.mode).toBe('embedded');
    expect(cluster.processes.map((p) => p.name)).toEqual(['jobmanager', 'taskmanager-1', 'taskmanager-2']);
    expect((await get(cluster, '/healthz')).status).toBe(200);
    expect((await get(cluster, '/taskmanagers')).status).toBe(401);
    const listed = await get(cluster, '/taskmanagers', cluster.token);
    expect(listed.body).toEqual({
      taskManagers: expect.arrayContaining([
        expect.objectContaining({ id: 'taskmanager-1', slotsTotal: 3 }),
        expect.objectContaining({ id: 'taskmanager-2', slotsTotal: 3 }),
      ]),
    });
    expect(progress.some((m) => m.includes(join(logDirOf(), 'jobmanager.log')))).toBe(true);

    // The job manager was configured for the embedded cloud, in the root directory.
    const { body } = (await get(cluster, '/env', cluster.token)) as {
      body: { cwd: string; env: Record<string, string> };
    };
    expect(body.cwd).toBe(rootDir);
    expect(body.env).toMatchObject({
      SLUICE_HIGH_AVAILABILITY_TYPE: 'none',
      SLUICE_STORAGE_TYPE: 'fs',
      SLUICE_STORAGE_FS_DIR: join(rootDir, '.sluice', 'storage'),
      SLUICE_REST_ADDRESS: '127.0.0.1',
      SLUICE_LOG_LEVEL: process.env.SLUICE_LOG_LEVEL ?? 'info',
    });
    expect((await fs.stat(join(rootDir, '.sluice', 'storage'))).isDirectory()).toBe(true);

    // The cluster file says how to reach it, and only its owner can read it.
    const file = join(rootDir, '.sluice', 'local-cluster.json');
    expect(cluster.clusterFile).toBe(file);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const contents = await readClusterFile(file);
    expect(contents).toEqual(cluster.info);
    expect(contents).toMatchObject({
      restUrl: cluster.restUrl,
      token: cluster.token,
      cloud: 'embedded',
      redisUrl: null,
      bucket: null,
    });
    const pids = [contents!.pids.jobmanager, ...contents!.pids.taskmanagers];
    expect(pids).toEqual(cluster.processes.map((p) => p.pid));
    expect(contents!.pids.launcher).toBe(process.pid);
    for (const pid of pids) expect(await isRunning(pid)).toBe(true);
    expect(await fs.readFile(join(logDirOf(), 'jobmanager.log'), 'utf8')).toContain(
      'registered taskmanager-2 (3 slots)',
    );

    await cluster.stop();
    expect(await allGone(pids)).toBe(true);
    await expect(fs.access(file)).rejects.toThrow();
    await cluster.stop(); // idempotent
  });

  test('a TaskManager that never registers: timeout error with its log tail, nothing left running', async () => {
    const failure = await startLocalCluster(
      options({
        startTimeoutMs: 6_000,
        env: {
          ...process.env,
          FAKE_SLUICE_FAULT: 'taskmanager-never-registers',
          FAKE_SLUICE_FAULTY_TM: 'taskmanager-2',
        },
      }),
    ).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(ProcessStartError);
    const error = failure as ProcessStartError;
    expect(error.reason).toBe('timed-out');
    expect(error.code).toBe('SLUICE_TIMEOUT');
    expect(error.message).toContain('1 of 2 TaskManagers registered');
    expect(error.processName).toBe('taskmanager-2, jobmanager');
    expect(error.message).toContain(`last lines of taskmanager-2 (${join(logDirOf(), 'taskmanager-2.log')})`);
    expect(error.message).toContain('cannot reach the job manager');
    expect(error.message).not.toContain('last lines of taskmanager-1');
    const pids = await pidsInLogs(logDirOf());
    expect(pids).toHaveLength(3);
    expect(await allGone(pids)).toBe(true);
    await expect(fs.access(join(rootDir, '.sluice', 'local-cluster.json'))).rejects.toThrow();
  });

  test('a job manager that dies at start fails fast with its exit code and last lines', async () => {
    const started = Date.now();
    const failure = await startLocalCluster(
      options({ env: { ...process.env, FAKE_SLUICE_FAULT: 'jobmanager-crashes' } }),
    ).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ProcessStartError);
    expect((failure as ProcessStartError).reason).toBe('exited');
    expect((failure as ProcessStartError).message).toMatch(/jobmanager \(pid \d+\) exited with code 3/);
    expect((failure as ProcessStartError).message).toContain('permission denied (injected)');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await fs.readdir(logDirOf())).toEqual(['jobmanager.log']);
  });

  test('aborting while TaskManagers wait to register stops everything started', async () => {
    const controller = new AbortController();
    const starting = startLocalCluster(
      options({
        signal: controller.signal,
        env: { ...process.env, FAKE_SLUICE_FAULT: 'taskmanager-never-registers' },
      }),
    ).catch((err: unknown) => err);
    await waitFor(async () => (await pidsInLogs(logDirOf()).catch(() => [])).length === 3, {
      what: 'three fake processes',
    });
    const pids = await pidsInLogs(logDirOf());
    controller.abort(new Error('test abort'));
    const failure = await starting;
    expect(failure).toEqual(new Error('test abort'));
    expect(await allGone(pids)).toBe(true);
  });

  test('stop() SIGKILLs a TaskManager that ignores SIGTERM after the grace time', async () => {
    const cluster = await start({
      stopGraceMs: 500,
      env: {
        ...process.env,
        FAKE_SLUICE_FAULT: 'taskmanager-ignores-sigterm',
        FAKE_SLUICE_FAULTY_TM: 'taskmanager-1',
      },
    });
    const pids = cluster.processes.map((p) => p.pid);
    await cluster.stop();
    expect(await allGone(pids)).toBe(true);
    expect(await fs.readFile(join(logDirOf(), 'taskmanager-1.log'), 'utf8')).toContain('ignoring SIGTERM');
  });

  test('reports a cluster process that dies after the start', async () => {
    const exits: ProcessExitEvent[] = [];
    const cluster = await start({ taskManagers: 1, onUnexpectedExit: (e) => exits.push(e) });
    const tm = cluster.processes[1]!;
    // The job manager counts the TaskManager as registered before the TaskManager has read the
    // answer and logged it; kill only once the line the report must carry is in the log.
    const logged = async (): Promise<boolean> =>
      (await fs.readFile(join(logDirOf(), 'taskmanager-1.log'), 'utf8')).includes(
        'taskmanager-1: registered',
      );
    await waitFor(logged, { what: 'the TaskManager logging its registration' });
    process.kill(tm.pid, 'SIGKILL');
    await waitFor(() => exits.length > 0, { what: 'the exit report' });
    expect(exits[0]).toMatchObject({
      name: 'taskmanager-1',
      pid: tm.pid,
      status: { code: null, signal: 'SIGKILL' },
    });
    expect(exits[0]!.tail).toContain('taskmanager-1: registered');
    await cluster.stop();
    expect(exits).toHaveLength(1);
  });

  test('reports a cloud process (redis-server, fauxqs) that dies while the cluster runs', async () => {
    const exits: ProcessExitEvent[] = [];
    const cluster = await start({
      taskManagers: 1,
      cloud: 'processes',
      onUnexpectedExit: (e) => exits.push(e),
    });
    const redisPid = cluster.info.pids.cloud.redis!;
    process.kill(redisPid, 'SIGKILL');
    await waitFor(() => exits.length > 0, { what: 'the exit report' });
    expect(exits[0]).toMatchObject({
      name: 'redis-server',
      pid: redisPid,
      status: { code: null, signal: 'SIGKILL' },
    });
    expect(exits[0]!.logFile).toMatch(/redis\.log$/);
    expect(exits[0]!.tail).toMatch(/Ready to accept connections/);
    await cluster.stop();
    expect(exits).toHaveLength(1);
  });

  test('--jobmanagers 2 starts a second job manager on its own ports, listed with its pid', async () => {
    const cluster = await start({ taskManagers: 1, jobManagers: 2, cloud: 'processes' });
    const names = cluster.processes.map((p) => p.name);
    expect(names).toEqual(['jobmanager', 'jobmanager-2', 'taskmanager-1']);
    const standbyPid = cluster.processes[1]!.pid;
    expect(cluster.info.pids.standbyJobmanagers).toEqual([standbyPid]);
    expect(await isRunning(standbyPid)).toBe(true);
    await cluster.stop();
    expect(await isRunning(standbyPid)).toBe(false);
  });

  test('more than one job manager without Redis is a configuration error naming the need', async () => {
    await expect(start({ jobManagers: 2, cloud: 'embedded' })).rejects.toThrow(
      /2 job managers need Redis to elect a leader/,
    );
  });

  test('refuses a second cluster in the same directory while the first runs', async () => {
    const first = await start({ taskManagers: 1 });
    await expect(startLocalCluster(options({ taskManagers: 1 }))).rejects.toThrow(ConflictError);
    await expect(startLocalCluster(options({ taskManagers: 1 }))).rejects.toThrow(`kill ${process.pid}`);
    expect(await readClusterFile(first.clusterFile)).toEqual(first.info);
  });

  test('a REST port in use is a clear configuration error, before anything starts', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startLocalCluster(options({ restPort: port }))).rejects.toThrow(ConfigError);
      await expect(startLocalCluster(options({ restPort: port }))).rejects.toThrow(
        `REST port ${port} on 127.0.0.1 is in use`,
      );
      expect(await fs.readdir(logDirOf())).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  test('an unknown SLUICE_* variable in the environment is reported before anything starts', async () => {
    const failure = startLocalCluster(options({ env: { ...process.env, SLUICE_REST_PROT: '1' } }));
    await expect(failure).rejects.toThrow(ConfigError);
    await expect(
      startLocalCluster(options({ env: { ...process.env, SLUICE_REST_PROT: '1' } })),
    ).rejects.toThrow(/SLUICE_REST_PROT/);
    expect(await fs.readdir(logDirOf())).toEqual([]);
  });
});
