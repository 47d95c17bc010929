import { resolve } from 'node:path';
import { EXIT_WITH_PARENT_IMPORT } from '../process/exit-with-parent';
import { withFreePort } from '../process/free-port';
import type { ManagedProcess } from '../process/managed-process';
import { startProcess } from '../process/managed-process';
import { httpGet } from '../process/probes';
import { waitUntilReady } from '../process/wait-ready';

/** A fauxqs (S3 + SQS emulator) child process serving on 127.0.0.1. */
export interface FauxqsProcess {
  /** `http://127.0.0.1:<port>`: S3 (path style) and SQS share it. */
  endpoint: string;
  port: number;
  pid: number;
  process: ManagedProcess;
  /** SIGTERM, SIGKILL after the grace time; resolves once it exited. Idempotent. */
  stop(): Promise<void>;
}

export interface StartFauxqsOptions {
  /** Where its output goes; default kept in memory. */
  logFile?: string;
  /** Own process group (see `StartProcessOptions.detached`). */
  detached?: boolean;
  /** The child does not keep this process alive (test helpers). */
  unref?: boolean;
  /** How long to wait for `GET /health`; default 15 s. */
  startTimeoutMs?: number;
  stopGraceMs?: number;
  signal?: AbortSignal;
}

/** fauxqs accepts any credentials and does not check signatures. */
export const FAUXQS_REGION = 'us-east-1';
export const FAUXQS_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

const CLI = resolve(__dirname, '../../node_modules/fauxqs/dist/cli.js');

/**
 * fauxqs 1.9.2 hard-codes `listen({ host: '0.0.0.0' })` with no option to change it; this
 * preload rebinds it to loopback so the emulator is never reachable from outside this machine.
 */
const LOOPBACK_ONLY = `
import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first && typeof first === 'object' && (first.host === '0.0.0.0' || first.host === undefined)) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
`;

/**
 * Starts fauxqs (`node node_modules/fauxqs/dist/cli.js`, port from `FAUXQS_PORT`) on a free
 * loopback port and resolves once `GET /health` answers; tries another port when the chosen
 * one was taken meanwhile. The child ends by itself when this process dies (IPC channel), and
 * keeps all state in memory, so every start is a clean emulator.
 * @throws ProcessStartError when it exits or never answers.
 */
export function startFauxqsProcess(options: StartFauxqsOptions = {}): Promise<FauxqsProcess> {
  return withFreePort((port) => launch(port, options));
}

async function launch(port: number, options: StartFauxqsOptions): Promise<FauxqsProcess> {
  const child = await startProcess({
    name: 'fauxqs',
    command: process.execPath,
    args: [
      '--import',
      EXIT_WITH_PARENT_IMPORT,
      '--import',
      `data:text/javascript,${encodeURIComponent(LOOPBACK_ONLY)}`,
      CLI,
    ],
    env: {
      ...process.env,
      FAUXQS_PORT: String(port),
      FAUXQS_LOGGER: 'false',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    ipc: true,
    logFile: options.logFile,
    detached: options.detached,
    unref: options.unref,
    stopGraceMs: options.stopGraceMs ?? 5000,
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(
      [child],
      async () => (await httpGet(`${endpoint}/health`)).status === 200 || { status: '/health not OK yet' },
      {
        what: `fauxqs on port ${port} to answer GET /health`,
        timeoutMs: options.startTimeoutMs ?? 15_000,
        intervalMs: 25,
        signal: options.signal,
      },
    );
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { endpoint, port, pid: child.pid, process: child, stop: () => child.stop() };
}
