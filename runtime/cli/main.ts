import { Command, CommanderError } from 'commander';
import { JobFailedError, SluiceError } from '../errors';
import { registerCancelCommand } from './cancel-command';
import { registerCheckpointCommand } from './checkpoint-command';
import { CliExit } from './cli-exit';
import { registerInfoCommand } from './info-command';
import { registerListCommand } from './list-command';
import { registerOutputCommand } from './output-command';
import { registerRunCommand } from './run-command';
import { registerSavepointCommand } from './savepoint-command';
import { registerServiceCommands } from './service-commands';
import { registerStopCommand } from './stop-command';

/** The `sluice` command. Returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('sluice')
    .description('Sluice: a distributed stream-processing runtime for TypeScript, modelled on Apache Flink')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
  registerRunCommand(program);
  registerListCommand(program);
  registerInfoCommand(program);
  registerOutputCommand(program);
  registerCancelCommand(program);
  registerCheckpointCommand(program);
  registerSavepointCommand(program);
  registerStopCommand(program);
  registerServiceCommands(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliExit) return err.exitCode;
    printError(err);
    return 1;
  }
}

export function printError(err: unknown): void {
  if (err instanceof SluiceError || err instanceof Error) {
    console.error(`error: ${err.message}`);
    // Where in the job's own code a user function failed (source-mapped); never Sluice's frames.
    if (err instanceof JobFailedError && err.jobStack) console.error(err.jobStack);
    if (process.env.SLUICE_DEBUG && err.stack) console.error(err.stack);
    const cause = err.cause;
    if (cause instanceof Error && cause.stack && process.env.SLUICE_DEBUG)
      console.error(`caused by: ${cause.stack}`);
    return;
  }
  console.error(`error: ${String(err)}`);
}
