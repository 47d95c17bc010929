/**
 * Fenced writes of a job manager (docs/architecture.md §9) against a real redis-server: a
 * leader whose lease passed to another contender while it was not looking (as after a pause)
 * still believes it leads, yet `assertLeader` reads Redis and refuses, so it cannot complete a
 * checkpoint (`_metadata` is never written) nor record anything else.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { CompletedCheckpointStore } from '../../../runtime/checkpoint/completed-checkpoint-store';
import { metadataKey } from '../../../runtime/checkpoint/checkpoint-storage-layout';
import { RedisKeys } from '../../../runtime/coordination/redis/redis-keys';
import { RedisLeaderElection } from '../../../runtime/coordination/redis/redis-leader-election';
import { NotLeaderError } from '../../../runtime/errors';
import { JobManagerLeadership } from '../../../runtime/jobmanager/job-manager-leadership';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { createLogger } from '../../../runtime/util/logger';
import { waitFor } from '../../../runtime/util/wait';
import type { RedisServer } from '../../helpers/redis-server';
import { startRedis } from '../../helpers/redis-server';

// Renewals far apart: the first leader does not notice the takeover by itself during the test.
const SLOW = { leaseDurationMs: 60_000, renewDeadlineMs: 50_000, retryPeriodMs: 40_000 };
const logger = createLogger('test');

let server: RedisServer;
let admin: Redis;
let dir: string;

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
  dir = mkdtempSync(join(tmpdir(), 'sluice-fenced-'));
});

afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function leadershipOf(name: string, keyPrefix: string): JobManagerLeadership {
  const addresses = { restUrl: `http://${name}:8081`, controlAddress: `${name}:6123` };
  return new JobManagerLeadership(
    () => new RedisLeaderElection({ url: server.url, keyPrefix, contenderId: name, addresses, ...SLOW }),
    { onGranted: async () => undefined, onRevoked: () => undefined },
    logger,
  );
}

const metadata = (jobId: string, checkpointId: number) => ({
  format: 'sluice-checkpoint' as const,
  version: 1 as const,
  jobId,
  jobName: 'fenced',
  checkpointId,
  kind: 'checkpoint' as const,
  trigger: 'periodic' as const,
  triggerTimestamp: 1000,
  completionTimestamp: 1200,
  mode: 'exactly-once' as const,
  graphHash: 'g',
  operators: [],
  stateSize: 0,
});

test('a leader whose lease passed on cannot complete a checkpoint; the new leader can', async () => {
  const prefix = `f${randomBytes(4).toString('hex')}`;
  const keys = new RedisKeys(prefix);
  const a = leadershipOf('a', prefix);
  const b = leadershipOf('b', prefix);
  try {
    await a.start('http://a:8081');
    expect(a.role).toBe('leader');
    await expect(a.assertLeader()).resolves.toBeUndefined();

    // The lease lapses while `a` is not looking (what a SIGSTOP does), and `b` takes it.
    await admin.del(keys.leaderLease());
    await b.start('http://b:8081');
    await waitFor(() => b.role === 'leader', { timeoutMs: 5_000, what: 'b to lead' });
    expect(b.fencingToken()).toBeGreaterThan(a.fencingToken());
    expect(a.role).toBe('leader'); // it has not noticed yet

    const blobs = new FsBlobStore({ dir });
    const jobId = 'fencedjob';
    const stale = new CompletedCheckpointStore(blobs, jobId, 3, logger, () => a.assertLeader());
    const error = await stale.add(metadata(jobId, 7)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NotLeaderError);
    expect((error as NotLeaderError).code).toBe('SLUICE_NOT_LEADER');
    expect((error as NotLeaderError).leaderRestUrl).toBe('http://b:8081');
    expect(await blobs.exists(metadataKey(jobId, 7))).toBe(false);

    const current = new CompletedCheckpointStore(blobs, jobId, 3, logger, () => b.assertLeader());
    await current.add(metadata(jobId, 8));
    expect(await blobs.exists(metadataKey(jobId, 8))).toBe(true);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('a standby refuses fenced writes, naming the leader', async () => {
  const prefix = `f${randomBytes(4).toString('hex')}`;
  const a = leadershipOf('a', prefix);
  const b = leadershipOf('b', prefix);
  try {
    await a.start('http://a:8081');
    await b.start('http://b:8081');
    expect(b.role).toBe('standby');
    const error = await b.assertLeader().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NotLeaderError);
    expect((error as Error).message).toContain('http://a:8081');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
