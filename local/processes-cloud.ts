import { join } from 'node:path';
import { ensureBucketOrStop, LOCAL_BUCKET } from './cloud/ensure-bucket';
import type { FauxqsProcess } from './cloud/fauxqs-process';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION, startFauxqsProcess } from './cloud/fauxqs-process';
import type { RedisServerProcess } from './cloud/redis-server-process';
import type { ManagedProcess } from './process/managed-process';
import { startRedisServer } from './cloud/redis-server-process';

/**
 * The `processes` local cloud (docs/architecture.md §12): `redis-server` and the fauxqs S3/SQS emulator as
 * child processes on free loopback ports, with the bucket created.
 */
export interface ProcessesCloud {
  /** `redis://127.0.0.1:<port>` */
  redisUrl: string;
  /** fauxqs serves S3 (path style) and SQS on the same endpoint. */
  s3Endpoint: string;
  sqsEndpoint: string;
  bucket: string;
  region: string;
  /** fauxqs accepts any credentials; these are what clients should send. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Pids of redis-server and fauxqs. */
  pids: { redis: number; fauxqs: number };
  /** Both processes, to watch for one that exits. */
  processes: readonly ManagedProcess[];
  /** Where their output goes, when `logDir` was given. */
  logFiles: { redis?: string; fauxqs?: string };
  /** Stops both (SIGTERM, SIGKILL after the grace time) and waits for them to exit. Idempotent. */
  stop(): Promise<void>;
}

export interface ProcessesCloudOptions {
  /** Directory for `redis.log` and `fauxqs.log`; default output is kept in memory. */
  logDir?: string;
  /** Default `sluice-local`. */
  bucket?: string;
  /** Default `redis-server` from PATH. */
  redisBinary?: string;
  /** Own process groups, so a terminal's Ctrl-C reaches only the launcher, which stops them in order. */
  detached?: boolean;
  /** Gives up (stopping whatever started) when aborted. */
  signal?: AbortSignal;
}

/**
 * Starts redis-server and fauxqs side by side, waits until both answer and creates the bucket.
 * If anything fails, whatever started is stopped before the error is thrown.
 * @throws ProcessStartError when either process cannot start; StorageError when the bucket cannot be created.
 */
export async function startProcessesCloud(options: ProcessesCloudOptions = {}): Promise<ProcessesCloud> {
  const log = (name: string): string | undefined => (options.logDir ? join(options.logDir, name) : undefined);
  // The first to fail stops the other's wait: a missing redis-server is reported at once, not
  // after fauxqs finished starting (which takes seconds on a loaded machine).
  const sibling = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, sibling.signal]) : sibling.signal;
  const abortSibling = (err: unknown): never => {
    sibling.abort(err);
    throw err;
  };
  const [redis, fauxqs] = await Promise.allSettled([
    startRedisServer({
      binary: options.redisBinary,
      logFile: log('redis.log'),
      detached: options.detached,
      signal,
    }).catch(abortSibling),
    startFauxqsProcess({ logFile: log('fauxqs.log'), detached: options.detached, signal }).catch(
      abortSibling,
    ),
  ]);
  const started = [redis, fauxqs].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((p) => p.stop()));
  };
  if (redis.status === 'rejected' || fauxqs.status === 'rejected') {
    await stop();
    throw redis.status === 'rejected' ? redis.reason : (fauxqs as PromiseRejectedResult).reason;
  }
  const cloud = describe(redis.value, fauxqs.value, options.bucket ?? LOCAL_BUCKET, stop);
  await ensureBucketOrStop({ ...cloud, endpoint: cloud.s3Endpoint }, stop, options.signal);
  return cloud;
}

function describe(
  redis: RedisServerProcess,
  fauxqs: FauxqsProcess,
  bucket: string,
  stop: () => Promise<void>,
): ProcessesCloud {
  return {
    redisUrl: redis.url,
    s3Endpoint: fauxqs.endpoint,
    sqsEndpoint: fauxqs.endpoint,
    bucket,
    region: FAUXQS_REGION,
    credentials: { ...FAUXQS_CREDENTIALS },
    pids: { redis: redis.pid, fauxqs: fauxqs.pid },
    processes: [redis.process, fauxqs.process],
    logFiles: { redis: redis.process.logFile, fauxqs: fauxqs.process.logFile },
    stop,
  };
}
