import { startRedisServer } from '../../local/cloud/redis-server-process';

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
  /** This port rather than a free one: restarts a server where its clients reconnect. */
  port?: number;
}

/**
 * Starts a throw-away redis-server on a free loopback port with persistence off, resolving
 * once it answers PING. The caller must `stop()` it (in `afterAll`); as a last resort the
 * server is SIGKILLed when the test process exits. The process handling is shared with the
 * local cluster launcher (`local/cloud/redis-server-process.ts`).
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const server = await startRedisServer({ ...options, stopGraceMs: 2000 });
  return { url: server.url, port: server.port, pid: server.pid, stop: server.stop };
}
