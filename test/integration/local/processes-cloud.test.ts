/**
 * The processes local cloud against the real redis-server and fauxqs: both answer, the bucket
 * exists, and stop() leaves no process behind.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startProcessesCloud } from '../../../local/processes-cloud';
import { S3BlobStore } from '../../../runtime/storage/s3/s3-blob-store';
import { descendants, isRunning } from '../../helpers/processes';

let logDir: string;

/** Local addresses listening on `port`, from /proc/net/tcp (hex, little-endian IPv4). */
async function listenAddresses(port: number): Promise<string[]> {
  const table = await fs.readFile('/proc/net/tcp', 'utf8');
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A') // 0A: LISTEN
    .map((f) => (f[1] ?? '').split(':')[0] ?? '');
}

beforeEach(async () => {
  logDir = await fs.mkdtemp(join(tmpdir(), 'sluice-processes-cloud-'));
});

afterEach(async () => {
  await fs.rm(logDir, { recursive: true, force: true });
});

test('starts redis-server and fauxqs on loopback ports with the bucket, and stops both', async () => {
  const cloud = await startProcessesCloud({ logDir, bucket: 'processes-cloud-test' });
  const redis = new Redis(cloud.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
  const store = new S3BlobStore({
    bucket: cloud.bucket,
    endpoint: cloud.s3Endpoint,
    region: cloud.region,
    forcePathStyle: true,
    credentials: cloud.credentials,
  });
  try {
    expect(cloud.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(cloud.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cloud.sqsEndpoint).toBe(cloud.s3Endpoint);
    expect(cloud.bucket).toBe('processes-cloud-test');
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.config('GET', 'save')).toEqual(['save', '']);
    // The bucket exists: a blob goes in and comes back.
    await store.put('probe', 'hello');
    expect(Buffer.from(await store.get('probe')).toString()).toBe('hello');
    expect((await fetch(`${cloud.sqsEndpoint}/health`)).ok).toBe(true);
    expect(await isRunning(cloud.pids.redis)).toBe(true);
    // Loopback only: 0100007F is 127.0.0.1 (fauxqs itself would bind 0.0.0.0).
    expect(await listenAddresses(Number(new URL(cloud.s3Endpoint).port))).toEqual(['0100007F']);
    expect(await listenAddresses(Number(new URL(cloud.redisUrl).port))).toEqual(['0100007F']);
    expect(await isRunning(cloud.pids.fauxqs)).toBe(true);
    expect(cloud.logFiles).toEqual({ redis: join(logDir, 'redis.log'), fauxqs: join(logDir, 'fauxqs.log') });
    expect(await fs.readFile(join(logDir, 'redis.log'), 'utf8')).toContain('Ready to accept connections');
  } finally {
    redis.disconnect();
    await store.close();
    await cloud.stop();
  }
  expect(await isRunning(cloud.pids.redis)).toBe(false);
  expect(await isRunning(cloud.pids.fauxqs)).toBe(false);
  await expect(fetch(`${cloud.s3Endpoint}/health`)).rejects.toThrow();
  await cloud.stop(); // idempotent
});

test('a missing redis-server fails with an install hint and leaves no fauxqs behind', async () => {
  // Other test files in this worker may have left children that are still exiting: compare.
  const before = await descendants(process.pid);
  const failure = await startProcessesCloud({
    logDir,
    redisBinary: 'redis-server-that-does-not-exist',
  }).catch((e: unknown) => e);
  expect(String(failure)).toMatch(
    /not installed or not on PATH: install it with apt-get install redis-server/,
  );
  // fauxqs was started alongside; it must have been stopped.
  expect(await fs.readdir(logDir)).toContain('fauxqs.log');
  const added = (await descendants(process.pid)).filter((pid) => !before.includes(pid));
  expect(added).toEqual([]);
  // Starting and stopping fauxqs took over 60 s once on a loaded CI machine.
}, 180_000);
