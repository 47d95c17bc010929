/**
 * Job manager failover between real processes (issue 10, docs/architecture.md §9): two
 * `sluice jobmanager` processes campaign in Redis, TaskManagers follow the published leader.
 * The leader is killed with SIGKILL mid-job: the standby takes over within the lease TTL + 2 s,
 * recovers the job from S3 (its record and latest completed checkpoint) and the committed
 * output of the exactly-once-count job holds every record exactly once. A job that finished
 * is never run again by a later leader, which still lists it with its final status.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ATTEMPTS_PER_LEADERSHIP } from '../../../runtime/jobmanager/dispatcher';
import { jobRecordKey } from '../../../runtime/jobmanager/job-graph-store';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';
import { checkExactlyOnce } from '../../helpers/exactly-once-output';
import { TEST_LEASE_MS } from '../../helpers/ha-cluster';
import { haClusterPerFile } from '../../helpers/ha-cluster-per-file';

const LEASE_MS = TEST_LEASE_MS;
// Per source; paced (1 ms sleep every 3 records) so each source subtask runs at least 2.5 s:
// the job is still running when the faults come, however fast the machine.
const RECORDS = 30_000;
const KEYS = 61;

const ha = haClusterPerFile({ 'slot.request.timeout': 30_000 }, 'sluice-ha-');

test('kill -9 of the leader mid-job: the standby takes over within lease + 2 s, the job finishes exactly-once', async () => {
  const { cluster, output } = ha;
  const { leader: a, info: firstInfo, standby: b } = await cluster.startLeaderAndStandby(2, 4);
  expect((await cluster.health(a))?.leadership).toBe('leader');
  expect((await cluster.health(b))?.leadership).toBe('standby');
  const leaderClient = cluster.client(a);

  const jobId = await cluster.submit(
    a,
    fixtureJob('exactly-once-count-job'),
    { records: String(RECORDS), keys: String(KEYS), paceEvery: '3', interval: '250', output },
    { parallelism: 4 },
  );
  expect(await cluster.blobStore.exists(jobRecordKey(jobId))).toBe(true);
  await waitFor(async () => (await leaderClient.checkpointStats(jobId)).counts.completed >= 2, {
    timeoutMs: 60_000,
    what: 'two checkpoints to complete on the first leader',
  });

  const killedAt = performance.now();
  await a.signal('SIGKILL');
  const second = await cluster.waitForLeader(LEASE_MS + 10_000, firstInfo.fencingToken);
  const takeoverMs = performance.now() - killedAt;
  expect(second.jm).toBe(b);
  const client = cluster.client(b);
  const running = await waitFor(
    async () => {
      const job = await client.getJob(jobId).catch(() => undefined);
      const up = job?.vertices.every((v) =>
        v.subtasks.every((s) => ['RUNNING', 'FINISHED'].includes(s.state)),
      );
      return job?.status === 'RUNNING' && up ? job : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 50, what: 'the job to run again on the new leader' },
  ).catch((err: unknown) => {
    throw cluster.withLogs(err, [b], 40);
  });
  const flowingMs = performance.now() - killedAt;
  console.log(
    `haFailoverSeconds: leader elected after ${(takeoverMs / 1000).toFixed(2)} s, tasks running after ${(flowingMs / 1000).toFixed(2)} s (lease TTL ${LEASE_MS / 1000} s)`,
  );
  expect(running.jobId).toBe(jobId);
  // A recovered job numbers its attempts past any its former leader used (tasks are keyed by them).
  expect(running.attempt).toBeGreaterThanOrEqual(second.info.fencingToken * ATTEMPTS_PER_LEADERSHIP);
  expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + 2_000);
  expect((await client.checkpointStats(jobId)).counts.restored).toBeGreaterThanOrEqual(1);

  const done = await cluster.waitForJobEnd(b, jobId);
  expect(done.status).toBe('FINISHED');
  expect(checkExactlyOnce(output, RECORDS, KEYS)).toBe(2 * RECORDS);
  expect((await cluster.jobResults.get(jobId))?.status).toBe('FINISHED');

  // A finished job is never run again: a third job manager takes over from the second.
  const c = await cluster.startJobManager('jm-c');
  await b.signal('SIGKILL');
  const third = await cluster.waitForLeader(LEASE_MS + 10_000, second.info.fencingToken);
  expect(third.jm).toBe(c);
  // Give it the time a recovery takes, then look: no job at all runs there.
  await waitFor(() => c.log.some((line) => line.includes('leadership taken up')), {
    timeoutMs: 20_000,
    what: 'the third leader to finish its recovery',
  });
  // …yet it answers for it from the job result store: listed and shown with its final status.
  const thirdClient = cluster.client(c);
  const listed = (await thirdClient.listJobs()).find((j) => j.jobId === jobId);
  expect(listed?.status).toBe('FINISHED');
  expect(listed?.endTime).toBe(done.endTime);
  const shown = await thirdClient.getJob(jobId);
  expect(shown.status).toBe('FINISHED');
  expect(shown.vertices.map((v) => v.name)).toEqual(done.vertices.map((v) => v.name));
  await expect(thirdClient.cancelJob(jobId)).rejects.toThrow(/already finished/);
  expect(c.log.some((line) => line.includes('job recovered by the new leader'))).toBe(false);
  expect(c.log.some((line) => line.includes('"msg":"job submitted"'))).toBe(false);
  expect(checkExactlyOnce(output, RECORDS, KEYS)).toBe(2 * RECORDS);
}, 420_000);

test('a leader paused past its lease (SIGSTOP) changes nothing once it wakes: no deploy, no checkpoint, no job record', async () => {
  const { cluster } = ha;
  const { jm: old, info: oldInfo } = await cluster.waitForLeader();
  const standby = await cluster.startJobManager('jm-d');
  const out = mkdtempSync(join(tmpdir(), 'sluice-ha-stop-'));
  try {
    const jobId = await cluster.submit(
      old,
      fixtureJob('exactly-once-count-job'),
      { records: String(RECORDS), keys: String(KEYS), paceEvery: '3', interval: '250', output: out },
      { parallelism: 4 },
    );
    const oldClient = cluster.client(old);
    await waitFor(async () => (await oldClient.checkpointStats(jobId)).counts.completed >= 1, {
      timeoutMs: 60_000,
      what: 'a checkpoint on the leader before it is paused',
    });
    await old.signal('SIGSTOP');
    const next = await cluster.waitForLeader(LEASE_MS + 10_000, oldInfo.fencingToken);
    expect(next.jm).toBe(standby);
    const client = cluster.client(standby);
    await waitFor(async () => (await client.getJob(jobId).catch(() => undefined))?.status === 'RUNNING', {
      timeoutMs: 60_000,
      what: 'the job to run on the new leader',
    });
    const record = Buffer.from(await cluster.blobStore.get(jobRecordKey(jobId))).toString('utf8');
    const wokeAt = old.log.length;
    await old.signal('SIGCONT');
    await waitFor(async () => (await cluster.health(old))?.leadership === 'standby', {
      timeoutMs: 10_000,
      what: 'the woken job manager to see it is no longer the leader',
    }).catch((err: unknown) => {
      throw cluster.withLogs(err, [old, standby], 40);
    });
    await waitFor(
      () => old.log.slice(wokeAt).some((l) => l.includes('job suspended; left for the next leader')),
      {
        timeoutMs: 20_000,
        what: 'the woken job manager to suspend its job',
      },
    );
    const afterWake = old.log.slice(wokeAt);
    // Nothing of the old leadership reached Redis, S3 or the TaskManagers.
    expect(afterWake.filter((l) => l.includes('"msg":"checkpoint completed'))).toEqual([]);
    expect(afterWake.filter((l) => l.includes('"msg":"TaskManager registered"'))).toEqual([]);
    expect(afterWake.filter((l) => l.includes('"msg":"job ended"'))).toEqual([]);
    expect((await cluster.leader())?.fencingToken).toBe(next.info.fencingToken);
    expect(Number(await cluster.redisClient.get(cluster.keys.fencingCounter()))).toBe(next.info.fencingToken);
    expect(Buffer.from(await cluster.blobStore.get(jobRecordKey(jobId))).toString('utf8')).toBe(record);
    expect(await cluster.jobResults.get(jobId)).toBeUndefined();
    // The old leader's REST now sends clients to the new one.
    const redirect = await fetch(`${old.restUrl}/jobs/${jobId}`, {
      headers: { authorization: `Bearer ${cluster.token}` },
      redirect: 'manual',
    });
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toBe(`${standby.restUrl}/jobs/${jobId}`);
    // …and the REST client (so `sluice`) follows it, token and all.
    expect((await cluster.client(old).getJob(jobId)).jobId).toBe(jobId);

    const done = await cluster.waitForJobEnd(standby, jobId);
    expect(done.status).toBe('FINISHED');
    expect(checkExactlyOnce(out, RECORDS, KEYS)).toBe(2 * RECORDS);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 420_000);
