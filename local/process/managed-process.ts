import type { ChildProcess, StdioOptions } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, fchmodSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { sleep } from '../../runtime/util/wait';
import { lastLines, readLogTail } from './log-tail';
import { ProcessStartError } from './process-errors';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartProcessOptions {
  /** Name in messages: `redis-server`, `jobmanager`, `taskmanager-2`. */
  name: string;
  command: string;
  args?: readonly string[];
  /** Complete environment of the child; default this process's. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Send stdout and stderr to this file (truncated, mode 0600). The child writes it directly,
   * so its output survives this process. Without it the last 16 KiB are kept in memory.
   */
  logFile?: string;
  /** Open an IPC channel (fd 3): a child that preloads `EXIT_WITH_PARENT_IMPORT` ends when it closes. */
  ipc?: boolean;
  /**
   * Own process group: a terminal's Ctrl-C then reaches only this process, which stops the
   * child in order; signals are sent to the whole group, so helpers it started end too.
   */
  detached?: boolean;
  /** Neither the child nor its pipes or channel keep this process alive (test helpers). */
  unref?: boolean;
  /** Time between SIGTERM and SIGKILL in `stop()`; default 5000 ms. */
  stopGraceMs?: number;
  /** What to tell the user when the binary is missing (ENOENT), e.g. how to install it. */
  missingBinaryHint?: string;
}

const MEMORY_TAIL_CHARS = 16 * 1024;
/** After an exit, how long to wait for piped output still in flight before reading the tail. */
const OUTPUT_DRAIN_MS = 500;

/**
 * A child process started by the local launcher or a test helper: its pid, its exit, its last
 * output lines, and a `stop()` that always ends it. If this process exits without stopping it,
 * the child is SIGKILLed as a last resort.
 */
export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string | undefined;
  /** Resolves when the process has exited, for whatever reason; never rejects. */
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;
  private memoryTail = '';
  private readonly outputClosed: Promise<void>;
  private stopping: Promise<void> | undefined;
  private readonly killOnExit = (): void => this.signal('SIGKILL');

  /** Use `startProcess`; the constructor attaches every listener before the spawn settles. */
  constructor(
    private readonly child: ChildProcess,
    private readonly options: StartProcessOptions,
  ) {
    this.name = options.name;
    this.pid = child.pid ?? -1;
    this.logFile = options.logFile;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.status = { code, signal };
        process.off('exit', this.killOnExit);
        resolve(this.status);
      });
    });
    // Errors after the spawn (a failed kill) are not fatal; the spawn error is handled in startProcess.
    child.on('error', () => undefined);
    this.outputClosed = this.collectOutput([child.stdout, child.stderr]);
    process.once('exit', this.killOnExit);
    if (options.unref) {
      child.unref();
      child.channel?.unref();
      for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
    }
  }

  /** How the process ended; undefined while it runs. */
  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  get running(): boolean {
    return this.status === undefined;
  }

  /** Its last `maxLines` output lines (from the log file, or from memory). */
  async outputTail(maxLines = 30): Promise<string> {
    if (this.status !== undefined) await Promise.race([this.outputClosed, sleep(OUTPUT_DRAIN_MS)]);
    if (this.logFile !== undefined) return readLogTail(this.logFile, maxLines);
    return lastLines(this.memoryTail, maxLines);
  }

  /** SIGTERM, then SIGKILL after the grace time; resolves once it exited. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.terminate();
    return this.stopping;
  }

  /** Removes the last-resort exit hook; for a process that never spawned. */
  dispose(): void {
    process.off('exit', this.killOnExit);
  }

  private async terminate(): Promise<void> {
    if (this.status !== undefined) return;
    this.signal('SIGTERM');
    const escalate = setTimeout(() => this.signal('SIGKILL'), this.options.stopGraceMs ?? 5000);
    await this.exited;
    clearTimeout(escalate);
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.status !== undefined || this.pid < 0) return;
    try {
      if (this.options.detached) process.kill(-this.pid, signal);
      else this.child.kill(signal);
    } catch {
      // Already gone (ESRCH): the 'exit' event is on its way.
    }
  }

  private collectOutput(streams: (Readable | null)[]): Promise<void> {
    const closed = streams.map((stream) => {
      if (stream === null) return Promise.resolve();
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        this.memoryTail = (this.memoryTail + chunk).slice(-MEMORY_TAIL_CHARS);
      });
      return new Promise<void>((resolve) => stream.once('close', () => resolve()));
    });
    return Promise.all(closed).then(() => undefined);
  }
}

/**
 * Spawns a child and resolves once it is running (not ready: see `waitUntilReady`).
 * @throws ProcessStartError `spawn-failed` when the binary cannot be run.
 */
export async function startProcess(options: StartProcessOptions): Promise<ManagedProcess> {
  const fd = options.logFile === undefined ? undefined : openSync(options.logFile, 'w', 0o600);
  let child: ChildProcess;
  try {
    // The mode applies only when the file is created; logs of an earlier run may be looser.
    if (fd !== undefined) fchmodSync(fd, 0o600);
    const out = fd ?? 'pipe';
    const stdio: StdioOptions = options.ipc ? ['ignore', out, out, 'ipc'] : ['ignore', out, out];
    child = spawn(options.command, options.args ?? [], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: options.detached ?? false,
      stdio,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    if (fd !== undefined) closeSync(fd);
  }
  const managed = new ManagedProcess(child, options);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (err) {
    managed.dispose();
    throw spawnFailure(options, err);
  }
  return managed;
}

function spawnFailure(options: StartProcessOptions, err: unknown): ProcessStartError {
  const code = (err as NodeJS.ErrnoException).code;
  const summary =
    code === 'ENOENT'
      ? `'${options.command}' is not installed or not on PATH${options.missingBinaryHint ? `: ${options.missingBinaryHint}` : ''}`
      : `could not start ${options.name} ('${options.command}'): ${(err as Error).message}`;
  return new ProcessStartError(summary, { processName: options.name, reason: 'spawn-failed', cause: err });
}
