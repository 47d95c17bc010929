import { withFreePort } from '../process/free-port';
import type { ManagedProcess } from '../process/managed-process';
import { startProcess } from '../process/managed-process';
import { redisAnswersPing } from '../process/probes';
import { waitUntilReady } from '../process/wait-ready';

/** A throw-away redis-server on a loopback port with persistence off. */
export interface RedisServerProcess {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  pid: number;
  process: ManagedProcess;
  /** SIGTERM, SIGKILL after the grace time; resolves once it exited. Idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisServerOptions {
  /** Binary to run; default `redis-server` from PATH. */
  binary?: string;
  /** How long to wait for PING to answer; default 10 s. */
  startTimeoutMs?: number;
  /** Where its output goes; default kept in memory. */
  logFile?: string;
  /** Own process group (see `StartProcessOptions.detached`). */
  detached?: boolean;
  stopGraceMs?: number;
  signal?: AbortSignal;
  /** This port rather than a free one (a restart on the port clients know); fails if taken. */
  port?: number;
}

/**
 * Starts `redis-server --port P --bind 127.0.0.1 --save "" --appendonly no` on a free port and
 * resolves once it answers PING; tries another port when the chosen one was taken meanwhile.
 * @throws ProcessStartError when the binary is missing, exits or never answers.
 */
export function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServerProcess> {
  if (options.port !== undefined) return launch(options.port, options);
  return withFreePort((port) => launch(port, options));
}

async function launch(port: number, options: StartRedisServerOptions): Promise<RedisServerProcess> {
  const child = await startProcess({
    name: 'redis-server',
    command: options.binary ?? 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    logFile: options.logFile,
    detached: options.detached,
    stopGraceMs: options.stopGraceMs ?? 2000,
    missingBinaryHint: 'install it with apt-get install redis-server',
  });
  try {
    await waitUntilReady([child], async () => (await redisAnswersPing(port)) || { status: 'no PONG yet' }, {
      what: `redis-server on port ${port} to answer PING`,
      timeoutMs: options.startTimeoutMs ?? 10_000,
      intervalMs: 10,
      signal: options.signal,
    });
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid, process: child, stop: () => child.stop() };
}
