/**
 * Ends a command with an exit code after it has already told the user what happened (no
 * `error:` line is added). `main` turns it into its return value, so commands never touch
 * `process.exitCode` and stay callable in-process.
 */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CliExit';
  }
}
