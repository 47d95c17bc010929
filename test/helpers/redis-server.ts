import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { waitFor } from '../../runtime/util/wait';
import { freePort } from './free-port';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Pid of the redis-server process (for checks that it is gone after `stop`). */
  pid: number;
  /** Terminates the server (SIGTERM, SIGKILL after 2 s) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Binary to run; default `redis-server` from PATH. */
  binary?: string;
  /** How long to wait for PING to answer; default 10 s. */
  startTimeoutMs?: number;
}

/** Thrown when the chosen port was taken between `freePort()` and the server's bind. */
class PortTakenError extends Error {}

/**
 * Starts a throw-away redis-server on a free loopback port with persistence off, resolving
 * once it answers PING. The caller must `stop()` it (in `afterAll`); as a last resort the
 * server is SIGKILLed when the test process exits.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? 'redis-server';
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await launch(binary, port, timeoutMs);
    } catch (err) {
      // Another process may grab the port between probing and binding; try a fresh one.
      if (err instanceof PortTakenError && attempt < 3) continue;
      throw err;
    }
  }
}

async function launch(binary: string, port: number, timeoutMs: number): Promise<RedisServer> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8192);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let failure: Error | undefined;
  child.once('error', (err: NodeJS.ErrnoException) => {
    failure =
      err.code === 'ENOENT'
        ? new Error(
            `'${binary}' is not installed or not on PATH: install it with apt-get install redis-server`,
          )
        : new Error(`could not start '${binary}': ${err.message}`);
  });
  // 'close' (not 'exit') so the server's last words have been read into `output`.
  child.once('close', (code, signal) => {
    const why = `${binary} exited (code ${code}, signal ${signal}) before answering PING on port ${port}`;
    failure ??= /Address already in use/.test(output)
      ? new PortTakenError(why)
      : new Error(`${why}:\n${output}`);
  });

  try {
    const ready = await waitFor(async () => failure ?? ((await ping(port)) ? 'ready' : undefined), {
      timeoutMs,
      intervalMs: 10,
      what: `redis-server on port ${port} to answer PING`,
    });
    if (ready instanceof Error) throw ready;
  } catch (err) {
    await terminate(child);
    process.off('exit', killOnExit);
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid as number,
    stop: () => {
      stopping ??= terminate(child).finally(() => process.off('exit', killOnExit));
      return stopping;
    },
  };
}

/** SIGTERM, then SIGKILL if the process is still there after 2 s; resolves once it exited. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

/** True when a RESP `PING` on the port is answered with `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
