import { FAUXQS_CREDENTIALS, FAUXQS_REGION, startFauxqsProcess } from '../../local/cloud/fauxqs-process';

export { FAUXQS_CREDENTIALS, FAUXQS_REGION };

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

// The SDK warns once per process on Node 20; tests create many clients.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
 * Every state lives in that process's memory, so each test file gets a clean emulator. The
 * child never keeps the test process alive, and ends by itself if the test process dies (even
 * by SIGKILL). The process handling is shared with the local cluster launcher
 * (`local/cloud/fauxqs-process.ts`).
 */
export async function startFauxqs(): Promise<FauxqsServer> {
  const server = await startFauxqsProcess({ unref: true, stopGraceMs: 5000 });
  return { endpoint: server.endpoint, port: server.port, pid: server.pid, stop: server.stop };
}
