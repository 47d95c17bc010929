import { waitFor } from '../../runtime/util/wait';
import type { ManagedProcess } from './managed-process';
import type { LogExcerpt } from './process-errors';
import { ProcessStartError } from './process-errors';

/** Not ready yet: what is missing, and whose logs explain it if it never comes. */
export interface NotReady {
  status: string;
  /** The processes to blame on a timeout; default the first watched one. */
  blame?: readonly ManagedProcess[];
}

export type ReadyCheck = () => Promise<true | NotReady>;

export interface WaitReadyOptions {
  /** What is awaited, for messages: `redis-server on port 6379 to answer PING`. */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Gives up with `signal.reason` when aborted. */
  signal?: AbortSignal;
  /** Lines of each log quoted in errors; default 20. */
  tailLines?: number;
}

/** Output that means the process could not bind its port. */
const PORT_IN_USE = /EADDRINUSE|address already in use/i;

/**
 * Polls `check` until it answers `true`. Fails fast with a `ProcessStartError` quoting the
 * process's last output as soon as one of `watched` exits (`port-in-use` when the output says
 * so, else `exited`); on timeout, `timed-out` with the last status and the blamed processes'
 * output. A `check` that throws (connection refused while the server starts) is "not ready".
 */
export async function waitUntilReady(
  watched: readonly ManagedProcess[],
  check: ReadyCheck,
  options: WaitReadyOptions,
): Promise<void> {
  let last: NotReady = { status: 'no answer yet' };
  const outcome = await waitFor<'ready' | ManagedProcess | { aborted: unknown } | undefined>(
    async () => {
      if (options.signal?.aborted) return { aborted: options.signal.reason };
      const dead = watched.find((p) => !p.running);
      if (dead) return dead;
      try {
        const answer = await check();
        if (answer === true) return 'ready';
        last = answer;
      } catch (err) {
        last = { status: err instanceof Error ? err.message : String(err) };
      }
      return undefined;
    },
    { timeoutMs: options.timeoutMs, intervalMs: options.intervalMs ?? 50, what: options.what },
  ).catch(() => 'timeout' as const);
  if (outcome === 'ready') return;
  if (outcome === 'timeout') {
    const blamed = last.blame ?? watched.slice(0, 1);
    throw new ProcessStartError(
      `timed out after ${options.timeoutMs} ms waiting for ${options.what} (${last.status})`,
      {
        processName: blamed.map((p) => p.name).join(', ') || 'unknown',
        reason: 'timed-out',
        logs: await excerpts(blamed, options.tailLines),
      },
    );
  }
  if ('aborted' in outcome) throw outcome.aborted;
  throw await exitedError(outcome, options);
}

async function exitedError(dead: ManagedProcess, options: WaitReadyOptions): Promise<ProcessStartError> {
  const [log] = await excerpts([dead], options.tailLines);
  const status = dead.exitStatus;
  const how = status?.signal ? `was killed by ${status.signal}` : `exited with code ${status?.code}`;
  return new ProcessStartError(`${dead.name} (pid ${dead.pid}) ${how} while waiting for ${options.what}`, {
    processName: dead.name,
    reason: PORT_IN_USE.test(log?.tail ?? '') ? 'port-in-use' : 'exited',
    logs: log ? [log] : [],
  });
}

/** The last lines of each process's output. */
export async function excerpts(processes: readonly ManagedProcess[], tailLines = 20): Promise<LogExcerpt[]> {
  return Promise.all(
    processes.map(async (p) => ({
      processName: p.name,
      logFile: p.logFile,
      tail: await p.outputTail(tailLines),
    })),
  );
}
