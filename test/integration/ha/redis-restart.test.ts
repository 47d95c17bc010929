/**
 * Redis restarted with its data lost mid-job (issue 10, docs/architecture.md §9): redis-server
 * runs without persistence and is killed and started empty on the same port while the
 * exactly-once-count job runs on a leader and a standby. Leases, TaskManager registrations,
 * slot allocations and checkpoint id counters are all gone; the job managers elect a leader
 * again (with a token above every earlier one, from the durable record in S3), TaskManagers register again, the job is
 * recovered from S3 (its record and latest completed checkpoint) and finishes exactly-once.
 */
import { FENCING_TOKEN_KEY } from '../../../runtime/jobmanager/blob-fencing-token-floor';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';
import { checkExactlyOnce } from '../../helpers/exactly-once-output';
import { TEST_LEASE_MS } from '../../helpers/ha-cluster';
import { haClusterPerFile } from '../../helpers/ha-cluster-per-file';

const LEASE_MS = TEST_LEASE_MS;
const RECORDS = 30_000;
const KEYS = 53;

const ha = haClusterPerFile({ 'slot.request.timeout': 30_000 }, 'sluice-ha-redis-');

test('Redis restarted empty mid-job: leadership, registrations and the job come back; output exactly-once', async () => {
  const { cluster, output } = ha;
  const { leader: a, info: firstInfo, standby: b } = await cluster.startLeaderAndStandby(2, 4);
  const client = cluster.client(a);
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
    .waitForLeader(LEASE_MS + 30_000, firstInfo.fencingToken)
    .catch((err: unknown) => {
      throw cluster.withLogs(err, [a, b]);
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
  await cluster.waitForTaskManagers(next.jm, 2);
  expect(await cluster.redisClient.zcard(cluster.keys.taskManagers())).toBe(2);

  const done = await cluster.waitForJobEnd(next.jm, jobId);
  expect(done.status).toBe('FINISHED');
  expect(checkExactlyOnce(output, RECORDS, KEYS)).toBe(2 * RECORDS);
  // The checkpoint ids went on above the ones stored before Redis was lost.
  const stats = await cluster.client(next.jm).checkpointStats(jobId);
  expect(stats.counts.restored).toBeGreaterThanOrEqual(1);
}, 420_000);
