import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../runtime/cli/main';
import { REPO_ROOT } from './embedded';

/** A CLI invocation in progress: its output so far and its exit code once done. */
export interface CliRun {
  readonly done: Promise<number>;
  stdout(): string;
  stderr(): string;
}

/**
 * Runs `sluice <args>` in this process through `main`, capturing what it writes to stdout and
 * stderr (console.error included). One at a time: the capture replaces the global writers.
 */
export function startCli(args: string[]): CliRun {
  let out = '';
  let err = '';
  const stdoutSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  const stderrSpy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += chunk.toString();
    return true;
  });
  const consoleSpy = jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    err += `${parts.map(String).join(' ')}\n`;
  });
  const done = main(['node', 'sluice', ...args]).finally(() => {
    stdoutSpy.mockRestore();
    stderrSpy.mockRestore();
    consoleSpy.mockRestore();
  });
  return { done, stdout: () => out, stderr: () => err };
}

/** Runs `sluice <args>` in this process to completion. */
export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = startCli(args);
  const code = await run.done;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** A `node bin/sluice.js` child process with captured output. */
export interface CliProcess extends CliRun {
  signal(name: NodeJS.Signals): void;
}

/** Spawns the real `sluice` binary (tsx hook, no build step) with `env` added to a minimal environment. */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'sluice.js'), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SLUICE_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : -1)));
  });
  return { done, stdout: () => out, stderr: () => err, signal: (name) => child.kill(name) };
}
