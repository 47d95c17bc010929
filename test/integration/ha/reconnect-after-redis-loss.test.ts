/**
 * TaskManagers follow the leader after Redis lost its data and then the leader died (issue
 * 10; the chaos suite once saw TaskManagers take ~31 s to reach the new leader after this
 * pair of faults). Redis is restarted empty mid-job, a leader is elected again with a higher
 * token (so the recovered job's attempts are numbered from token × 10 000) and the
 * TaskManagers register with it; then that leader is killed with SIGKILL, and every
 * TaskManager must register with the next leader and the job must run (and checkpoint) there
 * again. The stall was the TaskManagers' main thread releasing every attempt number up to
 * the recovered attempt's when it canceled its tasks (see cancel-recovered-attempt.test.ts).
 */
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';
import type { ClusterProcess } from '../../helpers/ha-cluster';
import { TEST_LEASE_MS } from '../../helpers/ha-cluster';
import { haClusterPerFile } from '../../helpers/ha-cluster-per-file';

const LEASE_MS = TEST_LEASE_MS;
const TASK_MANAGERS = 3;

const ha = haClusterPerFile(
  { 'slot.request.timeout': 60_000, 'restart-strategy.fixed-delay.attempts': 1_000 },
  'sluice-ha-reconnect-',
);

/** Lines of `process`'s log saying it registered at the job manager with `token`. */
function registeredWith(process: ClusterProcess, token: number): boolean {
  return process.log.some(
    (line) => line.includes('registered at the job manager') && line.includes(`"fencingToken":${token}`),
  );
}

test('after Redis restarted empty and then a leader kill, every TaskManager registers with the new leader', async () => {
  const { cluster, output } = ha;
  const {
    leader: a,
    info: firstInfo,
    standby: b,
    tms,
  } = await cluster.startLeaderAndStandby(TASK_MANAGERS, 2);
  const jobId = await cluster.submit(
    a,
    fixtureJob('exactly-once-count-job'),
    { records: '1000000', keys: '41', paceEvery: '1', interval: '300', output },
    { parallelism: 2 },
  );
  await waitFor(async () => (await cluster.client(a).checkpointStats(jobId)).counts.completed >= 1, {
    timeoutMs: 60_000,
    what: 'a completed checkpoint',
  });

  await cluster.restartRedisEmpty();
  const second = await cluster.waitForLeader(LEASE_MS + 30_000, firstInfo.fencingToken);
  await waitFor(() => tms.every((tm) => registeredWith(tm, second.info.fencingToken)), {
    timeoutMs: 60_000,
    what: 'every TaskManager to register with the leader elected after the Redis restart',
  }).catch((err: unknown) => {
    throw cluster.withLogs(err, [a, b, ...tms], 25);
  });

  await second.jm.signal('SIGKILL');
  const third = await cluster.waitForLeader(LEASE_MS + 30_000, second.info.fencingToken);
  expect(third.jm).not.toBe(second.jm);
  await waitFor(() => tms.every((tm) => registeredWith(tm, third.info.fencingToken)), {
    timeoutMs: 60_000,
    what: 'every TaskManager to register with the leader elected after the kill',
  }).catch((err: unknown) => {
    throw cluster.withLogs(err, [a, b, ...tms], 25);
  });
  await waitFor(
    async () => {
      const job = await cluster
        .client(third.jm)
        .getJob(jobId)
        .catch(() => undefined);
      return job?.vertices.every((v) => v.subtasks.every((s) => s.state === 'RUNNING'));
    },
    { timeoutMs: 60_000, what: 'the job to run on the new leader' },
  );
  // Running is not enough: a checkpoint completing shows every channel of the recovered
  // attempt carries records and barriers (a cancel on a TaskManager once released them).
  await waitFor(async () => (await cluster.client(third.jm).checkpointStats(jobId)).counts.completed >= 1, {
    timeoutMs: 60_000,
    what: 'a checkpoint to complete on the new leader',
  }).catch((err: unknown) => {
    throw cluster.withLogs(err, [a, b, ...tms], 25);
  });
  await cluster.client(third.jm).cancelJob(jobId);
}, 300_000);
