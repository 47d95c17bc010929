import type { Command } from 'commander';
import type { ResolvedConfig } from '../config';
import { loadConfig, parseDynamicProperties } from '../config';
import type * as JobManagerProcessModuleNs from '../jobmanager/job-manager-process';
import type { JobManagerProcess } from '../jobmanager/job-manager-process';
import type * as TaskManagerModuleNs from '../taskmanager/task-manager';
import type { TaskManagerService } from '../taskmanager/task-manager';

type JobManagerProcessModule = typeof JobManagerProcessModuleNs;
type TaskManagerModule = typeof TaskManagerModuleNs;
import { keyValueList } from './options';

interface ServiceOptions {
  config?: string;
  define?: string[];
}

interface Closable {
  close(): Promise<void>;
  /** Set by services that can give up on their own (a TaskManager without a job manager). */
  onFatal?: ((error: Error) => void) | undefined;
}

/** Loads the config of a service command: defaults < YAML < SLUICE_* env < -D flags. */
export function serviceConfig(options: ServiceOptions): ResolvedConfig {
  return loadConfig({
    ...(options.config ? { file: options.config } : {}),
    overrides: parseDynamicProperties(options.define ?? []),
  });
}

/** Runs a service until SIGINT/SIGTERM, then closes it gracefully (a second signal exits at once). */
async function runUntilSignal(
  start: () => Promise<Closable>,
  describe: (s: Closable) => string,
): Promise<void> {
  const service = await start();
  console.error(describe(service));
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) process.exit(1);
      stopping = true;
      void service.close().finally(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if ('onFatal' in service) {
      service.onFatal = (error) => {
        console.error(`error: ${error.message}`);
        process.exitCode = 1;
        resolve();
        // A task thread stuck in a native call keeps the process alive, and process.exit()
        // would wait for that thread forever (it joins worker threads): end it from outside.
        setTimeout(() => process.kill(process.pid, 'SIGKILL'), 2_000).unref();
      };
    }
  });
}

function serviceCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('-c, --config <file>', 'YAML config file (also SLUICE_CONFIG)')
    .option(
      '-D, --define <key=value>',
      'set a config key (repeatable), e.g. -D rest.port=8081',
      keyValueList,
    );
}

// Loaded on use, so each command only loads what it runs (the CLI starts faster).
function loadJobManagerModule(): JobManagerProcessModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../jobmanager/job-manager-process') as JobManagerProcessModule;
}

function loadTaskManagerModule(): TaskManagerModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../taskmanager/task-manager') as TaskManagerModule;
}

export function registerServiceCommands(program: Command): void {
  serviceCommand(
    program,
    'jobmanager',
    'Run the job manager: REST API, dispatcher, scheduler, control server for TaskManagers',
  ).action(async (options: ServiceOptions) => {
    const { startJobManagerProcess } = loadJobManagerModule();
    await runUntilSignal(
      () => startJobManagerProcess(serviceConfig(options)),
      (s) => (s as JobManagerProcess).describe(),
    );
  });
  serviceCommand(
    program,
    'taskmanager',
    'Run a TaskManager: offers task slots, runs deployed tasks, serves the data exchange',
  ).action(async (options: ServiceOptions) => {
    const { TaskManagerService } = loadTaskManagerModule();
    await runUntilSignal(
      () => TaskManagerService.start(serviceConfig(options)),
      (s) =>
        `TaskManager ${(s as TaskManagerService).id} started, data port ${(s as TaskManagerService).dataPort}`,
    );
  });
}
