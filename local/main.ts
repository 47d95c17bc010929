/**
 * `npm run local`: a local cloud and a Sluice cluster (one job manager, N TaskManagers) as
 * separate processes, up until Ctrl-C or SIGTERM (docs/architecture.md §12).
 */
import { relative } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { positiveInt } from '../runtime/cli/options';
import { printError } from '../runtime/cli/main';
import type { RequestedCloudMode } from './cloud/select-cloud-mode';
import type { LocalCluster, ProcessExitEvent } from './cluster';
import { DEFAULT_REST_PORT, startLocalCluster } from './cluster';

interface LauncherOptions {
  jobmanagers: number;
  taskmanagers: number;
  slots: number;
  cloud: RequestedCloudMode;
  restPort: number;
  rootDir: string;
  startTimeout: number;
  sluiceCommand?: string[];
}

export function buildProgram(): Command {
  return (
    new Command()
      .name('npm run local --')
      .description(
        'Start a local cloud and a Sluice cluster (job manager + TaskManagers) as separate processes; Ctrl-C stops everything',
      )
      .option(
        '-j, --jobmanagers <n>',
        'number of job managers; more than 1 elects a leader in Redis, the others stand by (infra/README.md)',
        positiveInt,
        1,
      )
      .option('-t, --taskmanagers <n>', 'number of TaskManagers', positiveInt, 2)
      .option('-s, --slots <n>', 'task slots per TaskManager', positiveInt, 2)
      .addOption(
        new Option(
          '--cloud <mode>',
          'local cloud: containers (LocalStack + Redis), processes (redis-server + fauxqs), embedded (no Redis, fs blobs), or auto (the first that works)',
        )
          .choices(['auto', 'containers', 'processes', 'embedded'])
          .default('auto'),
      )
      .option('--rest-port <port>', 'port of the REST API (0: any free port)', port, DEFAULT_REST_PORT)
      .option('--root-dir <dir>', 'where .sluice/ (cluster file, logs, embedded storage) goes', '.')
      .option(
        '--start-timeout <seconds>',
        'how long the job manager and TaskManagers may take to come up',
        positiveInt,
        60,
      )
      // For tests: run a stand-in for `node bin/sluice.js` (a JSON array: command and arguments).
      .addOption(new Option('--sluice-command <json>').argParser(jsonArgv).hideHelp())
      .exitOverride()
      .showHelpAfterError('(add --help for usage)')
  );
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`'${value}' is not a port (0..65535)`);
  return n;
}

function jsonArgv(value: string): string[] {
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((a) => typeof a === 'string')) {
    throw new InvalidArgumentError('expected a JSON array of strings');
  }
  return parsed as string[];
}

/** What the user needs once the cluster is up. */
export function formatSummary(
  cluster: LocalCluster,
  options: { taskManagers: number; slots: number; cwd?: string },
): string {
  const show = (path: string): string => {
    const rel = relative(options.cwd ?? process.cwd(), path);
    return rel && !rel.startsWith('..') ? rel : path;
  };
  const names = cluster.processes.map((p) => `${p.name}.log`).join(', ');
  return [
    `Sluice local cluster is up: ${options.taskManagers} TaskManager(s) x ${options.slots} slot(s)`,
    `  REST API      ${cluster.restUrl}  (bearer token below; GET /healthz needs none)`,
    ...standbyLines(cluster),
    `  token         ${cluster.token}`,
    `  cloud         ${cluster.cloud.mode}: ${cluster.cloud.reason}`,
    `                ${cluster.cloud.description}`,
    `  logs          ${show(cluster.logDir)}/ (${names})`,
    `  cluster file  ${show(cluster.clusterFile)} (REST URL, token, endpoints, pids; mode 0600)`,
    '',
    'Run a job on it:',
    `  export SLUICE_REST_URL=${cluster.restUrl} SLUICE_TOKEN=${cluster.token}`,
    '  npx sluice run functions/word-count.ts -p 4',
    '',
    'Ctrl-C (or SIGTERM) stops the TaskManagers, the job manager and the cloud.',
  ].join('\n');
}

/** Runs the launcher; resolves with the exit code once everything it started has stopped. */
export async function main(argv: string[]): Promise<number> {
  let options: LauncherOptions;
  try {
    options = buildProgram().parse(argv).opts<LauncherOptions>();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  const controller = new AbortController();
  let resolveStop: (why: 'signal' | 'crash') => void = () => undefined;
  const stopRequested = new Promise<'signal' | 'crash'>((resolve) => (resolveStop = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      console.log(`${signal}: already stopping (each process gets SIGKILL if it does not exit in 10 s)`);
      return;
    }
    console.log(`\n${signal}: stopping the local cluster`);
    controller.abort(new Error(`stopped by ${signal}`));
    resolveStop('signal');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Children do not keep the launcher alive if one dies; this does, until stopped.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    return await run(options, controller, stopRequested, resolveStop);
  } finally {
    clearInterval(keepAlive);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function run(
  options: LauncherOptions,
  controller: AbortController,
  stopRequested: Promise<'signal' | 'crash'>,
  requestStop: (why: 'crash') => void,
): Promise<number> {
  console.log(
    `starting a local Sluice cluster: ${options.taskmanagers} TaskManager(s) x ${options.slots} slot(s), cloud ${options.cloud}`,
  );
  let cluster: LocalCluster;
  let jobManagersLeft = options.jobmanagers;
  try {
    cluster = await startLocalCluster({
      jobManagers: options.jobmanagers,
      taskManagers: options.taskmanagers,
      slots: options.slots,
      cloud: options.cloud,
      rootDir: options.rootDir,
      restPort: options.restPort,
      startTimeoutMs: options.startTimeout * 1000,
      sluiceCommand: options.sluiceCommand,
      signal: controller.signal,
      onProgress: (message) => console.log(`  ${message}`),
      onUnexpectedExit: (event) => {
        if (event.name.startsWith('jobmanager')) jobManagersLeft--;
        reportExit(event, jobManagersLeft, () => requestStop('crash'));
      },
    });
  } catch (err) {
    if (controller.signal.aborted) {
      console.log('stopped before the cluster was up; everything started has been stopped');
      return 0;
    }
    printError(err);
    return 1;
  }
  console.log(`\n${formatSummary(cluster, { taskManagers: options.taskmanagers, slots: options.slots })}`);
  const why = await stopRequested;
  try {
    await cluster.stop();
  } catch (err) {
    printError(err);
    return 1;
  }
  console.log('local cluster stopped');
  return why === 'crash' ? 1 : 0;
}

/** With standby job managers: who they are and what they do. */
function standbyLines(cluster: LocalCluster): string[] {
  const jobManagers = cluster.processes.filter((p) => p.name.startsWith('jobmanager'));
  if (jobManagers.length < 2) return [];
  return [
    `  job managers  ${jobManagers.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}: one leads (Redis lease),`,
    '                the others stand by; their REST redirects to the leader (GET /healthz says the role)',
  ];
}

/** Cloud processes of the processes mode, and what the cluster loses with each. */
const CLOUD_PROCESSES: Record<string, string> = { 'redis-server': 'Redis', fauxqs: 'blob store (S3) or SQS' };

/**
 * A TaskManager that dies is reported and the cluster keeps running; so does a job manager when
 * others stand by (one takes over); the last job manager, Redis or the emulator ends it.
 */
function reportExit(event: ProcessExitEvent, jobManagersLeft: number, stopCluster: () => void): void {
  const how = event.status.signal
    ? `was killed by ${event.status.signal}`
    : `exited with code ${event.status.code}`;
  console.error(`\n${event.name} (pid ${event.pid}) ${how}; last lines of ${event.logFile}:`);
  console.error(event.tail.replace(/^/gm, '    '));
  if (event.name.startsWith('jobmanager') && jobManagersLeft > 0) {
    console.error(
      `a job manager is gone; ${jobManagersLeft} left: a standby takes over once the leader lease lapsed`,
    );
  } else if (event.name.startsWith('jobmanager')) {
    console.error('the job manager is gone: stopping the local cluster');
    stopCluster();
  } else if (CLOUD_PROCESSES[event.name]) {
    // Nothing restarts it, and without it every job fails: say so rather than limp on.
    console.error(
      `${event.name} is gone, so the cluster has no ${CLOUD_PROCESSES[event.name]}: stopping the local cluster`,
    );
    stopCluster();
  }
}

if (require.main === module) {
  void main(process.argv).then(
    (code) => {
      process.exitCode = code;
      // Everything started is stopped by now; do not let a stray handle keep the launcher up.
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (err: unknown) => {
      printError(err);
      process.exit(1);
    },
  );
}
