/**
 * recoverySeconds (issue 8): a checkpointing keyed count on a local cluster (job manager and
 * two TaskManagers as processes); after a checkpoint completed, kill -9 of a TaskManager that
 * runs its tasks, then the time until records flow again: every sink subtask of the next
 * attempt received a record (restored from the checkpoint, through source, keyed state and
 * sink). The sink tells the bench by UDP the moment it gets its first record
 * (bench/jobs/probe-sink.ts), so the figure is exact to the millisecond rather than late by up
 * to a metrics report (1 s). Phases on the way, all from the kill: the job manager records
 * the failure, every task of the next attempt is RUNNING. The restart delay of the default
 * strategy (fixed delay, 1 s, Flink's) is part of the figure; Flink's default failure
 * detection alone is 50 s.
 */
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster } from '../../local/cluster';
import { RestClient } from '../../runtime/client/rest-client';
import { submitJob } from '../../runtime/client/submit-job';
import { sleep } from '../../runtime/util/wait';
import { BENCH_JOBS } from './measure';

export interface RecoveryFigures {
  /** Kill until the job manager recorded the failure (its timestamp; same machine clock). */
  readonly toDetectedSeconds: number;
  /** Kill until every task of the next attempt reports RUNNING (polled every 20 ms). */
  readonly toRunningSeconds: number;
  /** Kill until the first sink subtask of the next attempt received a record. */
  readonly toFirstRecordSeconds: number;
  /** Kill until every sink subtask of the next attempt received a record: `recoverySeconds`. */
  readonly toRecordsSeconds: number;
  readonly restoredCheckpoint: number | undefined;
}

const PARALLELISM = 2;
/** A lost datagram or a job that never recovers ends the run with this error instead of a hang. */
const GIVE_UP_SECONDS = 120;

export async function recoveryScenario(): Promise<RecoveryFigures> {
  const rootDir = mkdtempSync(join(tmpdir(), 'sluice-bench-recovery-'));
  const probe = await listenForProbes();
  const cluster = await startLocalCluster({ taskManagers: 2, slots: 2, cloud: 'auto', rootDir, restPort: 0 });
  try {
    const client = new RestClient({ url: cluster.restUrl, token: cluster.token });
    const args = {
      records: '4000000',
      keys: '10000',
      interval: '500',
      paceEvery: '200',
      probePort: String(probe.port),
    };
    const { jobId } = await submitJob(client, join(BENCH_JOBS, 'keyed-count.ts'), args, {
      parallelism: PARALLELISM,
    });
    let job = await client.getJob(jobId);
    for (;;) {
      job = await client.getJob(jobId);
      const running = job.vertices.every((v) => v.subtasks.every((s) => s.state === 'RUNNING'));
      if (running && (await client.checkpointStats(jobId)).counts.completed > 0) break;
      if (job.status === 'FAILED' || job.status === 'FINISHED')
        throw new Error(`recovery bench: job ${job.status} too early`);
      await sleep(50);
    }
    const victimId = job.vertices.flatMap((v) => v.subtasks.map((s) => s.taskManagerId)).find(Boolean)!;
    const victim = cluster.processes.find((p) => p.name === victimId);
    if (!victim) throw new Error(`no local process is TaskManager ${victimId}`);
    const attempt = job.attempt;
    const killedAtWall = Date.now();
    const killedAt = performance.now();
    process.kill(victim.pid, 'SIGKILL');
    const since = (t: number): number => (t - killedAt) / 1000;
    let toRunning: number | undefined;
    for (;;) {
      job = await client.getJob(jobId);
      if (job.status === 'FAILED' || job.status === 'CANCELED')
        throw new Error(`recovery bench: job ${job.status}`);
      if (job.attempt > attempt && toRunning === undefined) {
        const subtasks = job.vertices.flatMap((v) => v.subtasks);
        if (subtasks.every((s) => s.state === 'RUNNING')) toRunning = since(performance.now());
      }
      if (toRunning !== undefined && probe.firstRecords(attempt).length >= PARALLELISM) break;
      if (since(performance.now()) > GIVE_UP_SECONDS)
        throw new Error(
          `recovery bench: after ${GIVE_UP_SECONDS} s, ${probe.firstRecords(attempt).length} of ${PARALLELISM} ` +
            `sink subtasks of the next attempt reported a record (tasks ${toRunning === undefined ? 'not yet all' : 'all'} RUNNING)`,
        );
      await sleep(20);
    }
    const arrivals = probe.firstRecords(attempt);
    const stats = await client.checkpointStats(jobId);
    await client.cancelJob(jobId);
    return {
      toDetectedSeconds: job.failure ? (job.failure.timestamp - killedAtWall) / 1000 : NaN,
      toRunningSeconds: toRunning ?? NaN,
      toFirstRecordSeconds: since(Math.min(...arrivals)),
      toRecordsSeconds: since(Math.max(...arrivals)),
      restoredCheckpoint: stats.latest.restored?.id,
    };
  } finally {
    probe.close();
    await cluster.stop();
    if (process.env.KEEP_TMP) console.log(rootDir);
    else rmSync(rootDir, { recursive: true, force: true });
  }
}

/** Receives the sink's first-record datagrams; keeps the first arrival per (attempt, subtask). */
async function listenForProbes(): Promise<{
  port: number;
  firstRecords(afterAttempt: number): number[];
  close(): void;
}> {
  const socket = createSocket('udp4');
  const arrivals = new Map<string, { attempt: number; at: number }>();
  socket.on('message', (msg) => {
    const at = performance.now();
    const [attempt, subtask] = msg.toString().split(' ').map(Number);
    const key = `${attempt} ${subtask}`;
    if (!arrivals.has(key)) arrivals.set(key, { attempt: attempt!, at });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: (socket.address() as AddressInfo).port,
    firstRecords: (after) => [...arrivals.values()].filter((a) => a.attempt > after).map((a) => a.at),
    close: () => socket.close(),
  };
}
