/**
 * Redis restarted with its data lost mid-job (issue 10, docs/architecture.md §9): redis-server
 * runs without persistence and is killed and started empty on the same port while the
 * exactly-once-count job runs on a leader and a standby. Leases, TaskManager registrations,
 * slot allocations and checkpoint id counters are all gone; the job managers elect a leader
 * again (with a token above every earlier one, from the durable record in S3), TaskManagers register again, the job is
 * recovered from S3 (its record and latest completed checkpoint) and finishes exactly-once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FENCING_TOKEN_KEY } from '../../../runtime/jobmanager/blob-fencing-token-floor';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';
import { checkExactlyOnce } from '../../helpers/exactly-once-output';
import { HaCluster, TEST_LEASE_CONFIG, TEST_LEASE_MS } from '../../helpers/ha-cluster';

const LEASE_MS = TEST_LEASE_MS;
const RECORDS = 30_000;
const KEYS = 53;

let cluster: HaCluster;
let output: string;

beforeAll(async () => {
  cluster = await HaCluster.start({
    ...TEST_LEASE_CONFIG,
    'slot.request.timeout': 30_000,
  });
  output = mkdtempSync(join(tmpdir(), 'sluice-ha-redis-'));
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(output, { recursive: true, force: true });
});

test('Redis restarted empty mid-job: leadership, registrations and the job come back; output exactly-once', async () => {
  const a = await cluster.startJobManager('jm-a');
  const first = await cluster.waitForLeader();
  const b = await cluster.startJobManager('jm-b');
  cluster.startTaskManager(4);
  cluster.startTaskManager(4);
  const client = cluster.client(a);
  await waitFor(async () => (await client.listTaskManagers()).filter((t) => t.connected).length === 2, {
    timeoutMs: 30_000,
    what: 'both TaskManagers to register at the leader',
  });
  const jobId = await cluster.submit(
    a,
    fixtureJob('exactly-once-count-job'),
    { records: String(RECORDS), keys: String(KEYS), paceEvery: '3', interval: '250', output },
    { parallelism: 4 },
  );
  await waitFor(async () => (await client.checkpointStats(jobId)).counts.completed >= 2, {
    timeoutMs: 60_000,
    what: 'two checkpoints to complete before Redis is lost',
  });

  const lostPid = cluster.redis.pid;
  await cluster.restartRedisEmpty();
  expect(cluster.redis.pid).not.toBe(lostPid);

  // A leader again, with a token above the lost counter's, and both TaskManagers registered.
  const next = await cluster
    .waitForLeader(LEASE_MS + 30_000, first.info.fencingToken)
    .catch((err: unknown) => {
      const logs = [a, b].map((jm) => `${jm.name}:\n${jm.log.slice(-30).join('\n')}`).join('\n');
      throw new Error(`${(err as Error).message}\n${logs}`);
    });
  expect(Number(await cluster.redisClient.get(cluster.keys.fencingCounter()))).toBe(next.info.fencingToken);
  expect([a, b]).toContain(next.jm);
  // The token came from the durable record in S3, which every grant raises (before the job
  // manager acts as leader; its address is published in Redis a moment earlier).
  const durableToken = async (): Promise<number> =>
    (
      JSON.parse(Buffer.from(await cluster.blobStore.get(FENCING_TOKEN_KEY)).toString('utf8')) as {
        fencingToken: number;
      }
    ).fencingToken;
  await waitFor(async () => (await durableToken()) === next.info.fencingToken, {
    timeoutMs: 10_000,
    what: `the durable fencing token record to reach ${next.info.fencingToken}`,
  });
  const leaderClient = cluster.client(next.jm);
  await waitFor(async () => (await leaderClient.listTaskManagers()).filter((t) => t.connected).length === 2, {
    timeoutMs: 30_000,
    what: 'both TaskManagers to register again in the new Redis',
  });
  expect(await cluster.redisClient.zcard(cluster.keys.taskManagers())).toBe(2);

  const done = await waitFor(
    async () => {
      const job = await leaderClient.getJob(jobId).catch(() => undefined);
      return job && ['FINISHED', 'FAILED', 'CANCELED'].includes(job.status) ? job : undefined;
    },
    { timeoutMs: 240_000, intervalMs: 200, what: `job ${jobId} to end after the Redis restart` },
  ).catch((err: unknown) => {
    const logs = cluster.processes.map((p) => `${p.name}:\n${p.log.slice(-30).join('\n')}`).join('\n');
    throw new Error(`${(err as Error).message}\n${logs}`);
  });
  expect(done.status).toBe('FINISHED');
  expect(checkExactlyOnce(output, RECORDS, KEYS)).toBe(2 * RECORDS);
  // The checkpoint ids went on above the ones stored before Redis was lost.
  const stats = await leaderClient.checkpointStats(jobId);
  expect(stats.counts.restored).toBeGreaterThanOrEqual(1);
}, 420_000);
