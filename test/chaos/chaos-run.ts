import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { jobResultKey } from '../../runtime/jobmanager/job-result-store';
import { waitFor } from '../../runtime/util/wait';
import { fixtureJob } from '../helpers/embedded';
import { HaCluster } from '../helpers/ha-cluster';
import { FaultProxy, NO_FAULTS } from './fault-proxy';
import type { FaultKind } from './nemesis';
import { applyFault, faultSchedule, live } from './nemesis';
import type { OutputCheck } from '../helpers/exactly-once-output';
import { checkOutput, committedLines } from '../helpers/exactly-once-output';

export interface ChaosRunOptions {
  readonly seed: number;
  /** Faults to apply (fewer when the job ends first). */
  readonly faults: number;
  readonly kinds?: readonly FaultKind[];
  /** Records per source of the exactly-once-count job (two sources). */
  readonly recordsPerSource: number;
  /** Where each process's log is written when the run fails or finds lost or duplicated records. */
  readonly logDir?: string;
}

export interface ChaosRunReport {
  readonly seed: number;
  readonly faults: string[];
  /** Final status of the job (from its result in S3), or why it has none. */
  readonly status: string;
  readonly check: OutputCheck;
  /** Longest time from a fault until committed output grew again (or the job ended). */
  readonly longestRecoveryMs: number;
  readonly durationMs: number;
  /** The most TaskManagers the supervisor saw alive at once (the cluster's size is TASK_MANAGERS). */
  readonly maxLiveTaskManagers: number;
  readonly s3: { requests: number; errors: number; drops: number; delays: number };
}

// Timings tolerate a loaded machine (seconds-long stalls of every process) without turning each
// stall into a failover: the faults, not the load, should drive the run.
const LEASE_MS = 6_000;
const KEYS = 61;
const PARALLELISM = 2;
export const TASK_MANAGERS = 3;
const SLOTS = 2;
/** A fault the job does not recover from within this is reported as such, and the run goes on. */
const RECOVERY_TIMEOUT_MS = 120_000;
const JOB_END_TIMEOUT_MS = 300_000;

/**
 * One chaos run: a cluster of two job managers, three TaskManagers, Redis and the emulator
 * (behind the fault proxy) runs the exactly-once-count job into the file sink while the
 * nemesis applies the seeded schedule; then the job is let finish and the committed output is
 * checked for lost and duplicated records.
 */
export async function chaosRun(options: ChaosRunOptions): Promise<ChaosRunReport> {
  const started = performance.now();
  let proxy: FaultProxy | undefined;
  const cluster = await HaCluster.start(
    {
      'high-availability.redis.leader-election.lease-duration': LEASE_MS,
      'high-availability.redis.leader-election.renew-deadline': 4_000,
      'high-availability.redis.leader-election.retry-period': 1_000,
      'heartbeat.timeout': 6_000,
      'taskmanager.registration.timeout': 60_000,
      'slot.request.timeout': 60_000,
      'restart-strategy.fixed-delay.attempts': 1_000,
      'restart-strategy.fixed-delay.delay': 500,
    },
    {
      s3EndpointFor: async (emulator) => {
        proxy = await FaultProxy.start(emulator, options.seed);
        return proxy.url;
      },
    },
  );
  const output = mkdtempSync(join(tmpdir(), `sluice-chaos-${options.seed}-`));
  const applied: string[] = [];
  let status = 'not submitted';
  let longestRecoveryMs = 0;
  let supervising = true;
  let supervisor = Promise.resolve();
  let maxLiveTaskManagers = 0;
  try {
    const { leader: jm } = await cluster.startLeaderAndStandby(TASK_MANAGERS, SLOTS, 60_000);
    // As ECS would: a process that exits by itself (a TaskManager that found no leader within its
    // registration timeout) is replaced, so the cluster keeps its size between faults. Started
    // only once the cluster is up: before, it saw no TaskManager yet and started a second set.
    supervisor = (async () => {
      while (supervising) {
        const n = live(cluster, 'tm').length;
        maxLiveTaskManagers = Math.max(maxLiveTaskManagers, n);
        for (let i = n; i < TASK_MANAGERS; i++) cluster.startTaskManager(SLOTS);
        await sleep(1_000);
      }
    })();
    const jobId = await cluster.submit(
      jm,
      fixtureJob('exactly-once-count-job'),
      {
        records: String(options.recordsPerSource),
        keys: String(KEYS),
        paceEvery: '1',
        interval: '300',
        output,
      },
      { parallelism: PARALLELISM },
    );
    status = 'running';
    const ended = async (): Promise<boolean> => cluster.blobStore.exists(jobResultKey(jobId));
    await waitFor(async () => committedLines(output).length > 0 || (await ended()), {
      timeoutMs: 120_000,
      what: 'the first committed output',
    });
    const schedule = faultSchedule(options.seed, {
      faults: options.faults,
      kinds: options.kinds,
      leaseMs: LEASE_MS,
    });
    for (const fault of schedule) {
      await sleep(fault.gapMs);
      if (await ended()) break;
      const before = committedLines(output).length;
      const at = performance.now();
      applied.push(await applyFault(fault, { cluster, proxy: proxy! }));
      const recovered = await waitFor(async () => committedLines(output).length > before || (await ended()), {
        timeoutMs: RECOVERY_TIMEOUT_MS,
        intervalMs: 100,
        what: `recovery from ${applied.at(-1)}`,
      }).catch(() => false);
      const recoveryMs = recovered ? performance.now() - at : Infinity;
      longestRecoveryMs = Math.max(longestRecoveryMs, recoveryMs);
    }
    proxy!.setRates(NO_FAULTS);
    status = await finalStatus(cluster, jobId, ended);
  } catch (err) {
    status = `error: ${(err as Error).message.split('\n')[0]}`;
  }
  supervising = false;
  await supervisor;
  const check = checkOutput(output, options.recordsPerSource, KEYS);
  const failed = status !== 'FINISHED' || check.lost > 0 || check.duplicated > 0 || check.badCountKeys > 0;
  try {
    if (failed && options.logDir) keepLogs(cluster, join(options.logDir, `seed-${options.seed}`));
  } finally {
    await cluster.stop();
    await proxy?.close();
    rmSync(output, { recursive: true, force: true });
  }
  return {
    seed: options.seed,
    faults: applied,
    status,
    check,
    longestRecoveryMs,
    durationMs: performance.now() - started,
    maxLiveTaskManagers,
    s3: { ...(proxy?.counts ?? { requests: 0, errors: 0, drops: 0, delays: 0 }) },
  };
}

/** Waits for the job's result in S3 (the system of record) and returns its status. */
async function finalStatus(
  cluster: HaCluster,
  jobId: string,
  ended: () => Promise<boolean>,
): Promise<string> {
  const done = await waitFor(ended, {
    timeoutMs: JOB_END_TIMEOUT_MS,
    intervalMs: 250,
    what: 'the job to end',
  }).catch(() => false);
  if (!done)
    return `not ended after ${JOB_END_TIMEOUT_MS / 1000} s (${live(cluster, 'jm').length} job managers up)`;
  return (await cluster.jobResults.get(jobId))?.status ?? 'no result after it ended';
}

function keepLogs(cluster: HaCluster, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const p of cluster.processes) writeFileSync(join(dir, `${p.name}.log`), `${p.log.join('\n')}\n`);
}
