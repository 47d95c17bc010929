/**
 * haFailoverSeconds (issue 10): a checkpointing keyed count on a local cluster with two job
 * managers (leader and standby) and two TaskManagers, all processes, Redis and the emulator as
 * processes. After a checkpoint completed, kill -9 of the leader, then the time until (a) the
 * standby is the published leader, and (b) the job's records flow again: every task of the
 * recovered attempt RUNNING and the counts operator reporting records (task metrics come every
 * second, so (b) is up to a second late). Goal: (b) ≤ lease TTL + 2 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster } from '../../local/cluster';
import { RestClient } from '../../runtime/client/rest-client';
import { submitJob } from '../../runtime/client/submit-job';
import { envNameForKey } from '../../runtime/config';
import type { LeaderInfo } from '../../runtime/coordination/leader-election';
import { RedisLeaderRetriever } from '../../runtime/coordination/redis/redis-leader-retriever';
import type { JobDetails } from '../../runtime/jobmanager/gateway';
import { sleep, waitFor } from '../../runtime/util/wait';
import type { TimelineStep } from './ha-timeline';
import { failoverTimeline, formatTimeline } from './ha-timeline';
import { BENCH_JOBS } from './measure';

export interface HaFailoverFigures {
  /** The leader lease TTL (`high-availability.redis.leader-election.lease-duration`). */
  readonly leaseTtlSeconds: number;
  /** kill -9 of the leader until the standby is published as leader. */
  readonly electedSeconds: number;
  /** kill -9 of the leader until the job's records flow again on the new leader. */
  readonly haFailoverSeconds: number;
  /** The steps in between, from the processes' logs and the bench's own polling. */
  readonly timeline: TimelineStep[];
}

/** Lease timings of the run: Flink's Kubernetes ratios at a shorter lease, or the defaults. */
export interface LeaseTimingsMs {
  readonly leaseDuration: number;
  readonly renewDeadline: number;
  readonly retryPeriod: number;
}

/** The defaults of `high-availability.redis.leader-election.*`: what a cluster runs with. */
export const DEFAULT_LEASE_TIMINGS: LeaseTimingsMs = {
  leaseDuration: 15_000,
  renewDeadline: 10_000,
  retryPeriod: 2_000,
};

/** The default timings scaled to another lease duration, keeping their ratios. */
export function scaledLeaseTimings(leaseDuration: number): LeaseTimingsMs {
  const scale = leaseDuration / DEFAULT_LEASE_TIMINGS.leaseDuration;
  return {
    leaseDuration,
    renewDeadline: Math.round(DEFAULT_LEASE_TIMINGS.renewDeadline * scale),
    retryPeriod: Math.round(DEFAULT_LEASE_TIMINGS.retryPeriod * scale),
  };
}

export async function haFailoverScenario(
  timings: LeaseTimingsMs,
  logDir?: string,
): Promise<HaFailoverFigures> {
  const rootDir = mkdtempSync(join(tmpdir(), 'sluice-bench-ha-'));
  const lease = (key: string, ms: number): [string, string] => [
    envNameForKey(`high-availability.redis.leader-election.${key}` as Parameters<typeof envNameForKey>[0]),
    String(ms),
  ];
  const env = {
    ...process.env,
    // The timeline is read from the info-level logs of the job managers.
    SLUICE_LOG_LEVEL: 'info',
    ...Object.fromEntries([
      lease('lease-duration', timings.leaseDuration),
      lease('renew-deadline', timings.renewDeadline),
      lease('retry-period', timings.retryPeriod),
    ]),
  };
  const cluster = await startLocalCluster({
    taskManagers: 2,
    slots: 2,
    jobManagers: 2,
    cloud: 'processes',
    rootDir,
    restPort: 0,
    env,
    // Kept after the run when given; read for the failover timeline either way.
    logDir: logDir ?? join(rootDir, 'logs'),
  });
  const retriever = new RedisLeaderRetriever({ url: cluster.info.redisUrl! });
  try {
    const first = await waitFor(() => retriever.currentLeader(), { timeoutMs: 30_000, what: 'a leader' });
    if (first.restUrl !== cluster.restUrl)
      throw new Error(`ha bench: the first job manager should lead, ${first.restUrl} does`);
    const client = new RestClient({ url: cluster.restUrl, token: cluster.token });
    const args = { records: '4000000', keys: '10000', interval: '500', paceEvery: '200' };
    const { jobId } = await submitJob(client, join(BENCH_JOBS, 'keyed-count.ts'), args, { parallelism: 2 });
    await waitFor(
      async () => {
        const job = await client.getJob(jobId);
        if (job.status === 'FAILED' || job.status === 'FINISHED')
          throw new Error(`ha bench: job ${job.status} too early`);
        return allRunning(job) && (await client.checkpointStats(jobId)).counts.completed > 0;
      },
      { timeoutMs: 60_000, intervalMs: 50, what: 'the job to run and checkpoint' },
    );
    const killedAt = performance.now();
    const killedAtMs = Date.now();
    process.kill(cluster.info.pids.jobmanager, 'SIGKILL');
    const next = await waitFor(
      async () => {
        const leader = await retriever.currentLeader().catch(() => undefined);
        return leader && leader.fencingToken > first.fencingToken ? leader : undefined;
      },
      { timeoutMs: timings.leaseDuration + 30_000, intervalMs: 20, what: 'the standby to lead' },
    );
    const electedSeconds = (performance.now() - killedAt) / 1000;
    const runningSeconds = await recordsFlowing(next, cluster.token, jobId, killedAt);
    const haFailoverSeconds = (performance.now() - killedAt) / 1000;
    await new RestClient({ url: next.restUrl, token: cluster.token }).cancelJob(jobId);
    const timeline = failoverTimeline(cluster.logDir, killedAtMs, [
      { step: 'kill -9 of the leader', atSeconds: 0 },
      { step: 'new leader published (bench poll)', atSeconds: electedSeconds },
      { step: 'every task RUNNING (bench poll)', atSeconds: runningSeconds },
      { step: 'records flowing: counts reports input (bench poll)', atSeconds: haFailoverSeconds },
    ]);
    return { leaseTtlSeconds: timings.leaseDuration / 1000, electedSeconds, haFailoverSeconds, timeline };
  } finally {
    await retriever.close();
    await cluster.stop();
    rmSync(rootDir, { recursive: true, force: true });
  }
}

function allRunning(job: JobDetails): boolean {
  return job.vertices.every((v) => v.subtasks.every((s) => s.state === 'RUNNING'));
}

/**
 * Waits on the new leader until the recovered attempt runs and its counts operator has input;
 * returns when every task was first seen RUNNING (seconds after `killedAt`).
 */
async function recordsFlowing(
  leader: LeaderInfo,
  token: string,
  jobId: string,
  killedAt: number,
): Promise<number> {
  const client = new RestClient({ url: leader.restUrl, token });
  let runningSeconds: number | undefined;
  for (;;) {
    const job = await client.getJob(jobId).catch(() => undefined);
    if (job?.status === 'FAILED' || job?.status === 'CANCELED')
      throw new Error(`ha bench: job ${job.status} after the failover`);
    if (job && allRunning(job)) runningSeconds ??= (performance.now() - killedAt) / 1000;
    const counts = job?.vertices.find((v) => v.name.startsWith('counts'));
    if (job && allRunning(job) && counts && counts.recordsIn > 0) return runningSeconds!;
    await sleep(20);
  }
}

/** Runs the scenario alone: `node --import tsx bench/scenarios/ha-failover.ts [leaseMs] [logDir]`. */
if (require.main === module) {
  const leaseDuration = Number(process.argv[2] ?? DEFAULT_LEASE_TIMINGS.leaseDuration);
  haFailoverScenario(scaledLeaseTimings(leaseDuration), process.argv[3])
    .then((figures) => {
      const { timeline, ...rest } = figures;
      console.log(JSON.stringify(rest));
      console.log(formatTimeline(timeline));
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
