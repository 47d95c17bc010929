import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { waitFor } from '../../runtime/util/wait';
import { freePort } from './free-port';

/** A fauxqs (S3 + SQS emulator) child process serving on 127.0.0.1. */
export interface FauxqsServer {
  /** `http://127.0.0.1:<port>`: S3 (path style) and SQS share it. */
  endpoint: string;
  port: number;
  /** The child's pid, so tests can check that `stop()` really ended it. */
  pid: number;
  /** Ends the process (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** fauxqs accepts any credentials and does not check signatures. */
export const FAUXQS_REGION = 'us-east-1';
export const FAUXQS_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

// The SDK warns once per process on Node 20; tests create many clients.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const CLI = resolve(__dirname, '../../node_modules/fauxqs/dist/cli.js');
const START_ATTEMPTS = 3;
const STOP_GRACE_MS = 5_000;

/**
 * Preloaded into the child. (1) Exit when the IPC channel to the test process closes, so a
 * crashed or SIGKILLed jest worker never leaves an orphan emulator behind. (2) fauxqs 1.9.2
 * hard-codes `listen({ host: '0.0.0.0' })` with no option to change it; rebind to loopback so
 * the emulator is never reachable from outside this machine.
 */
const PRELOAD = `
import net from 'node:net';
process.on('disconnect', () => process.exit(0));
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first && typeof first === 'object' && (first.host === '0.0.0.0' || first.host === undefined)) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
`;

/** S3 client settings for the emulator; spread into `S3BlobStoreOptions` or an `S3ClientConfig`. */
export function fauxqsS3Options(endpoint: string): {
  endpoint: string;
  region: string;
  forcePathStyle: true;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return { endpoint, region: FAUXQS_REGION, forcePathStyle: true, credentials: { ...FAUXQS_CREDENTIALS } };
}

/**
 * Starts fauxqs as a child process on a free port and resolves once `GET /health` answers.
 * Every state lives in that process's memory, so each test file gets a clean emulator.
 * Retries on a new port when the chosen one was taken in the meantime.
 */
export async function startFauxqs(): Promise<FauxqsServer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(await freePort());
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(`fauxqs did not start after ${START_ATTEMPTS} attempts: ${String(lastError)}`);
}

async function startOnce(port: number): Promise<FauxqsServer> {
  const child = spawn(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(PRELOAD)}`, CLI],
    {
      env: {
        ...process.env,
        FAUXQS_PORT: String(port),
        FAUXQS_LOGGER: 'false',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn fauxqs');
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  // Last resort when a test forgets stop(): a normal exit of the test process kills the child.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  // Neither the child nor its IPC channel may keep the test process alive.
  child.unref();
  child.channel?.unref();

  const stop = (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    return stopChild(child);
  };
  const endpoint = `http://127.0.0.1:${port}`;
  // Fail fast (e.g. EADDRINUSE) instead of polling a dead process until the timeout.
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`fauxqs exited (${code ?? signal}): ${stderr.trim()}`)),
    );
  });
  exited.catch(() => undefined);
  try {
    const healthy = waitFor(
      // A dead child ends the polling; `exited` has already rejected by then and wins the race.
      async () => child.exitCode !== null || child.signalCode !== null || (await isHealthy(endpoint)),
      { timeoutMs: 15_000, intervalMs: 25, what: `fauxqs on port ${port}` },
    );
    await Promise.race([healthy, exited]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, port, pid, stop };
}

async function isHealthy(endpoint: string): Promise<boolean> {
  const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
  await response.body?.cancel();
  return response.ok;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(escalate);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}
