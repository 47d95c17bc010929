import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError } from '../runtime/errors';
import type { CloudMode, CloudModeProbes, RequestedCloudMode } from './cloud/select-cloud-mode';
import { selectCloudMode } from './cloud/select-cloud-mode';
import type { ClusterSettings } from './cluster-config';
import {
  checkClusterProcessEnv,
  clusterProcessEnv,
  jobManagerConfig,
  taskManagerConfig,
} from './cluster-config';
import type { ClusterFile } from './cluster-file';
import { assertNoClusterRunning, clusterFilePath, removeClusterFile, writeClusterFile } from './cluster-file';
import type { LocalCloud } from './local-cloud';
import { startLocalCloud } from './local-cloud';
import { EXIT_WITH_PARENT_IMPORT } from './process/exit-with-parent';
import { freePort, isPortFree } from './process/free-port';
import type { ExitStatus, ManagedProcess } from './process/managed-process';
import { startProcess } from './process/managed-process';
import { Teardown } from './process/teardown';
import { waitUntilReady } from './process/wait-ready';
import { healthCheck, registrationCheck } from './cluster-readiness';

/** `node bin/sluice.js` of this checkout. */
export const DEFAULT_SLUICE_COMMAND: readonly string[] = [
  process.execPath,
  resolve(__dirname, '..', 'bin', 'sluice.js'),
];
/** Flink's REST port, and Sluice's `rest.port` default. */
export const DEFAULT_REST_PORT = 8081;

export interface LocalClusterOptions {
  taskManagers: number;
  slots: number;
  cloud: RequestedCloudMode;
  /** Where `.sluice/` goes (cluster file, logs, embedded storage); default the working directory. */
  rootDir?: string;
  /** Default 8081; 0 picks a free port. */
  restPort?: number;
  /**
   * Job managers to start (default 1). More than one needs Redis (cloud processes or
   * containers): they elect a leader, the others stand by and take over when it fails.
   */
  jobManagers?: number;
  /** Default `<rootDir>/.sluice/logs`. */
  logDir?: string;
  /** Command that runs `sluice`; the role (`jobmanager`, `taskmanager`) is appended. Default {@link DEFAULT_SLUICE_COMMAND}. */
  sluiceCommand?: readonly string[];
  /** Budget for the job manager and every TaskManager to be up, after the cloud is; default 60 s. */
  startTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping a cluster process; default 10 s. */
  stopGraceMs?: number;
  /** Aborting gives up starting; whatever started is stopped before the promise rejects. */
  signal?: AbortSignal;
  /** How `cloud: 'auto'` examines the machine; default the real probes. */
  cloudProbes?: CloudModeProbes;
  /** Environment the cluster processes inherit (before their `SLUICE_*` settings); default this process's. */
  env?: NodeJS.ProcessEnv;
  /** Called when a cluster process exits on its own after the cluster started (not through `stop()`). */
  onUnexpectedExit?: (event: ProcessExitEvent) => void;
  /** Progress lines for the user while starting (cloud chosen, processes spawned, log files). */
  onProgress?: (message: string) => void;
}

export interface ClusterProcessInfo {
  /** `jobmanager`, `taskmanager-1`… (also the TaskManager's `taskmanager.id`). */
  name: string;
  pid: number;
  logFile: string;
}

export interface ProcessExitEvent extends ClusterProcessInfo {
  status: ExitStatus;
  /** Its last output lines. */
  tail: string;
}

export interface LocalCluster {
  restUrl: string;
  /** Bearer token of the REST API, and the cluster secret. */
  token: string;
  cloud: { mode: CloudMode; reason: string; description: string };
  logDir: string;
  clusterFile: string;
  /** What the cluster file holds. */
  info: ClusterFile;
  /** The job managers first (`jobmanager`, `jobmanager-2`…), then the TaskManagers. */
  processes: ClusterProcessInfo[];
  /** Removes the cluster file, stops the TaskManagers, the job manager, then the cloud. Idempotent. */
  stop(): Promise<void>;
}

interface Layout {
  rootDir: string;
  logDir: string;
  clusterFile: string;
  command: readonly string[];
  env: NodeJS.ProcessEnv;
  startTimeoutMs: number;
  stopGraceMs: number;
}

/**
 * `npm run local` (docs/architecture.md §12): picks and starts a local cloud (`selectCloudMode`), then a job
 * manager and `taskManagers` TaskManagers as child processes of `sluice`, each logging to
 * `<logDir>/<name>.log`. Resolves once `GET /healthz` answers and `GET /taskmanagers` lists
 * every TaskManager, after writing `.sluice/local-cluster.json` (mode 0600).
 * On any failure or abort, everything started is stopped before the promise rejects.
 * @throws ConflictError when a cluster already runs in `rootDir`; ConfigError for bad options,
 *   a taken REST port or an invalid `SLUICE_*` environment; ProcessStartError (with the tail of
 *   the failing process's log) when a process dies or is not up in time.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  checkCounts(options);
  const layout = resolveLayout(options);
  await assertNoClusterRunning(layout.clusterFile);
  await fs.mkdir(layout.logDir, { recursive: true, mode: 0o700 });
  const teardown = new Teardown();
  try {
    const selection = await selectCloudMode(options.cloud, options.cloudProbes);
    options.signal?.throwIfAborted();
    options.onProgress?.(`cloud mode ${selection.mode} (${selection.reason}); starting it`);
    const cloud = await startLocalCloud(selection, {
      rootDir: layout.rootDir,
      logDir: layout.logDir,
      signal: options.signal,
    });
    teardown.add(() => cloud.stop());
    options.signal?.throwIfAborted();
    options.onProgress?.(`cloud up: ${cloud.description}`);
    const { settings, jobManagers, restUrls, taskManagers } = await startProcesses(
      cloud,
      layout,
      options,
      teardown,
    );
    const restUrl = `http://127.0.0.1:${settings.restPort}`;
    const info = clusterFileContents(cloud, layout, restUrls, settings.token, jobManagers, taskManagers);
    await writeClusterFile(layout.clusterFile, info);
    teardown.add(() => removeClusterFile(layout.clusterFile, settings.token));
    const all = [...jobManagers, ...taskManagers];
    // The cloud's processes too: a redis-server or fauxqs that dies leaves the cluster unable to work.
    if (options.onUnexpectedExit)
      watchExits([...(cloud.processes ?? []), ...all], teardown, options.onUnexpectedExit);
    return {
      restUrl,
      token: settings.token,
      cloud: { mode: cloud.mode, reason: cloud.reason, description: cloud.description },
      logDir: layout.logDir,
      clusterFile: layout.clusterFile,
      info,
      processes: all.map((p) => ({ name: p.name, pid: p.pid, logFile: p.logFile ?? '' })),
      stop: () => teardown.runOnce(),
    };
  } catch (err) {
    await teardown.runOnce().catch(() => undefined);
    throw err;
  }
}

function checkCounts(options: LocalClusterOptions): void {
  for (const [name, value] of [
    ['taskManagers', options.taskManagers],
    ['slots', options.slots],
    ['jobManagers', options.jobManagers ?? 1],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new ConfigError(`${name} must be an integer >= 1, got ${value}`);
  }
}

function resolveLayout(options: LocalClusterOptions): Layout {
  const rootDir = resolve(options.rootDir ?? process.cwd());
  const command = options.sluiceCommand ?? DEFAULT_SLUICE_COMMAND;
  if (command.length === 0) throw new ConfigError('sluiceCommand must name a program');
  return {
    rootDir,
    logDir: resolve(rootDir, options.logDir ?? join('.sluice', 'logs')),
    clusterFile: clusterFilePath(rootDir),
    command,
    env: options.env ?? process.env,
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    stopGraceMs: options.stopGraceMs ?? 10_000,
  };
}

/** Starts the job manager, waits for /healthz, starts the TaskManagers, waits until all are registered. */
async function startProcesses(
  cloud: LocalCloud,
  layout: Layout,
  options: LocalClusterOptions,
  teardown: Teardown,
): Promise<{
  settings: ClusterSettings;
  jobManagers: ManagedProcess[];
  restUrls: string[];
  taskManagers: ManagedProcess[];
}> {
  const deadline = Date.now() + layout.startTimeoutMs;
  const settings = await chooseSettings(options.restPort);
  const restUrl = `http://127.0.0.1:${settings.restPort}`;
  const { jobManagerEnvs, taskManagerEnvs } = await processEnvs(cloud, settings, layout, options);
  const progress = options.onProgress ?? ((): void => undefined);
  const jobManagers: ManagedProcess[] = [];
  teardown.add(async () => {
    await Promise.all(jobManagers.map((jm) => jm.stop()));
  });
  // One after the other: the first one up campaigns first, so it normally leads.
  for (const [i, { env, restUrl: url }] of jobManagerEnvs.entries()) {
    const name = i === 0 ? 'jobmanager' : `jobmanager-${i + 1}`;
    const jm = await spawnSluice(name, 'jobmanager', env, layout);
    jobManagers.push(jm);
    progress(`${name} started (pid ${jm.pid}, log ${jm.logFile}); waiting for ${url}/healthz`);
    await waitUntilReady([jm], healthCheck(url), {
      what: `${name} to answer GET ${url}/healthz`,
      timeoutMs: Math.max(1, deadline - Date.now()),
      signal: options.signal,
    });
  }
  const jobManager = jobManagers[0]!;
  const taskManagers: ManagedProcess[] = [];
  teardown.add(async () => {
    await Promise.all(taskManagers.map((tm) => tm.stop()));
  });
  for (const [i, env] of taskManagerEnvs.entries()) {
    taskManagers.push(await spawnSluice(`taskmanager-${i + 1}`, 'taskmanager', env, layout));
  }
  progress(
    `${taskManagers.length} TaskManagers started (logs ${join(layout.logDir, 'taskmanager-<n>.log')}); waiting for them to register`,
  );
  await waitUntilReady(
    [jobManager, ...taskManagers],
    registrationCheck(restUrl, settings.token, jobManager, taskManagers),
    {
      what: `${taskManagers.length} TaskManagers to be listed by GET ${restUrl}/taskmanagers`,
      timeoutMs: Math.max(1, deadline - Date.now()),
      signal: options.signal,
    },
  );
  return { settings, jobManagers, restUrls: jobManagerEnvs.map((jm) => jm.restUrl), taskManagers };
}

/** The environment of each process, checked by the real config loader before anything is spawned. */
async function processEnvs(
  cloud: LocalCloud,
  settings: ClusterSettings,
  layout: Layout,
  options: LocalClusterOptions,
): Promise<{
  jobManagerEnvs: { env: NodeJS.ProcessEnv; restUrl: string }[];
  taskManagerEnvs: NodeJS.ProcessEnv[];
}> {
  const count = options.jobManagers ?? 1;
  if (count > 1 && cloud.config['high-availability.type'] !== 'redis')
    throw new ConfigError(
      `${count} job managers need Redis to elect a leader: use --cloud processes or containers, not ${cloud.mode}`,
    );
  const jobManagerEnvs = [
    {
      env: clusterProcessEnv(layout.env, jobManagerConfig(cloud, settings)),
      restUrl: `http://127.0.0.1:${settings.restPort}`,
    },
  ];
  for (let i = 1; i < count; i++) {
    const ports = { restPort: await freePort(), rpcPort: await freePort() };
    const env = clusterProcessEnv(layout.env, jobManagerConfig(cloud, settings, ports));
    jobManagerEnvs.push({ env, restUrl: `http://127.0.0.1:${ports.restPort}` });
  }
  const jobManagerEnv = jobManagerEnvs[0]!.env;
  const taskManagerEnvs = Array.from({ length: options.taskManagers }, (_, i) =>
    clusterProcessEnv(
      layout.env,
      taskManagerConfig(cloud, settings, { id: `taskmanager-${i + 1}`, slots: options.slots }),
    ),
  );
  checkClusterProcessEnv(jobManagerEnv, layout.rootDir);
  // TaskManagers differ only in id, so checking one checks them all.
  checkClusterProcessEnv(taskManagerEnvs[0] ?? {}, layout.rootDir);
  return { jobManagerEnvs, taskManagerEnvs };
}

async function chooseSettings(restPort: number | undefined): Promise<ClusterSettings> {
  let port = restPort ?? DEFAULT_REST_PORT;
  if (port === 0) port = await freePort();
  else if (!(await isPortFree(port))) {
    throw new ConfigError(
      `REST port ${port} on 127.0.0.1 is in use (another local cluster?); choose another one ` +
        `(npm run local -- --rest-port <port>, 0 for any free port)`,
    );
  }
  let rpcPort = await freePort();
  while (rpcPort === port) rpcPort = await freePort();
  return { token: randomBytes(32).toString('base64url'), restPort: port, rpcPort };
}

/**
 * Runs `<command> <role>` in its own process group with output to `<logDir>/<name>.log`. A
 * node command also gets an IPC channel and the exit-with-parent preload: if the launcher dies
 * (even SIGKILLed), the child shuts itself down instead of living on as an orphan.
 */
function spawnSluice(
  name: string,
  role: string,
  env: NodeJS.ProcessEnv,
  layout: Layout,
): Promise<ManagedProcess> {
  const [command, ...args] = layout.command as [string, ...string[]];
  const node = command === process.execPath || basename(command) === 'node';
  return startProcess({
    name,
    command,
    args: node ? ['--import', EXIT_WITH_PARENT_IMPORT, ...args, role] : [...args, role],
    env,
    cwd: layout.rootDir,
    logFile: join(layout.logDir, `${name}.log`),
    ipc: node,
    detached: true,
    stopGraceMs: layout.stopGraceMs,
  });
}

function clusterFileContents(
  cloud: LocalCloud,
  layout: Layout,
  restUrls: string[],
  token: string,
  jobManagers: ManagedProcess[],
  taskManagers: ManagedProcess[],
): ClusterFile {
  const [jobManager, ...standbys] = jobManagers;
  return {
    restUrl: restUrls[0]!,
    restUrls,
    token,
    cloud: cloud.mode,
    s3Endpoint: cloud.s3Endpoint,
    sqsEndpoint: cloud.sqsEndpoint,
    bucket: cloud.bucket,
    redisUrl: cloud.redisUrl,
    storageDir: cloud.storageDir,
    storeConfig: Object.fromEntries(
      Object.entries(cloud.config).filter(([key]) => key.startsWith('storage.') || key.startsWith('s3.')),
    ) as ClusterFile['storeConfig'],
    logDir: layout.logDir,
    pids: {
      launcher: process.pid,
      jobmanager: jobManager?.pid ?? -1,
      ...(standbys.length > 0 ? { standbyJobmanagers: standbys.map((p) => p.pid) } : {}),
      taskmanagers: taskManagers.map((p) => p.pid),
      cloud: cloud.pids,
    },
    startedAt: new Date().toISOString(),
  };
}

function watchExits(
  processes: ManagedProcess[],
  teardown: Teardown,
  report: (event: ProcessExitEvent) => void,
): void {
  for (const p of processes) {
    void p.exited.then(async (status) => {
      if (teardown.started) return;
      const tail = await p.outputTail(20);
      if (!teardown.started) report({ name: p.name, pid: p.pid, logFile: p.logFile ?? '', status, tail });
    });
  }
}
