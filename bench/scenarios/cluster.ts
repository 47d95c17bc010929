import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster } from '../../local/cluster';
import { RestClient } from '../../runtime/client/rest-client';
import { submitJob } from '../../runtime/client/submit-job';
import { sleep } from '../../runtime/util/wait';
import { WORDS_PER_LINE } from '../jobs/workload';
import type { Measurement } from './measure';
import { alternatingRounds, BENCH_JOBS } from './measure';
import { bullmqWordCount, redisStreamsWordCount } from './redis-baselines';
import { handTcpPipeline } from './hand-pipelines';

/**
 * The keyed word count on a real local cluster (job manager and 2 TaskManagers with 1 slot
 * each, as processes): at parallelism 2 one subtask runs in each TaskManager, so the hash
 * exchange crosses TCP; at parallelism 1 everything runs in one TaskManager. Rates count the
 * running phase (all tasks RUNNING until FINISHED), not scheduling. In the same run, the same
 * word count by hand over loopback TCP (hand-pipelines.ts), through Redis Streams and BullMQ on
 * the cluster's Redis, and over the SQS exchange on the emulator (with a TCP run on the same,
 * smaller input beside it); and a CPU-bound keyed job at parallelism 1 and 2 (scaling).
 */
export async function clusterScenarios(
  lines: number,
  bullmqLines: number,
  sqsLines: number,
  cpuHeavyRecords: number,
): Promise<Measurement[]> {
  const rootDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const cluster = await startLocalCluster({ taskManagers: 2, slots: 1, cloud: 'auto', rootDir, restPort: 0 });
  try {
    const client = new RestClient({ url: cluster.restUrl, token: cluster.token });
    const results = [
      ...(await tcpAgainstHand(client, lines)),
      await runningPhase(client, 'cluster/one-taskmanager-p1', lines, 1),
      ...(await cpuHeavyScaling(client, cpuHeavyRecords)),
    ];
    if (cluster.info.sqsEndpoint) {
      results.push(await runningPhase(client, 'cluster/sqs-p2', sqsLines, 2, 'sqs'));
      results.push(await runningPhase(client, 'cluster/tcp-p2-same-input-as-sqs', sqsLines, 2));
    }
    const redisUrl = cluster.info.redisUrl;
    if (redisUrl) {
      results.push(await redisStreamsWordCount(redisUrl, lines));
      results.push(await bullmqWordCount(redisUrl, bullmqLines));
    } else {
      console.log('(no redis-server: the Redis Streams and BullMQ baselines are skipped)');
    }
    return results;
  } finally {
    await cluster.stop();
    rmSync(rootDir, { recursive: true, force: true });
  }
}

/** Rounds of the cross-TaskManager word count and its hand-written TCP yardstick, taken in turn. */
export const TCP_ROUNDS = 3;

/**
 * `cluster/tcp-p2` and `cluster/hand-tcp-p2` in TCP_ROUNDS alternating rounds, each row the
 * median round: on a shared machine one unlucky run would otherwise decide `clusterVsHandTcp`;
 * alternating puts both under the same conditions.
 */
export async function tcpAgainstHand(client: RestClient, lines: number): Promise<Measurement[]> {
  return alternatingRounds(TCP_ROUNDS, [
    () => runningPhase(client, 'cluster/tcp-p2', lines, 2),
    () => handTcpPipeline(lines),
  ]);
}

async function runningPhase(
  client: RestClient,
  scenario: string,
  lines: number,
  parallelism: number,
  exchange: 'tcp' | 'sqs' = 'tcp',
): Promise<Measurement> {
  const records = lines * WORDS_PER_LINE;
  const run = { job: 'keyed-word-count.ts', args: { records: String(lines) }, records, counted: 'counts' };
  return runningPhaseOf(client, scenario, run, { parallelism, exchange });
}

/**
 * Scaling (issue 12 item 5): a CPU-bound keyed job at parallelism 1 (one TaskManager's slot)
 * and 2 (both TaskManagers, the keyed exchange across TCP). The ideal is 2x; two shared cores
 * allow at most that.
 */
async function cpuHeavyScaling(client: RestClient, records: number): Promise<Measurement[]> {
  const run = { job: 'cpu-heavy-keyed.ts', args: { records: String(records) }, records, counted: 'hash' };
  return [
    await runningPhaseOf(client, 'scaling/cpu-heavy-p1', run, { parallelism: 1 }),
    await runningPhaseOf(client, 'scaling/cpu-heavy-p2', run, { parallelism: 2 }),
  ];
}

interface ClusterRun {
  readonly job: string;
  readonly args: Record<string, string>;
  /** Records the vertex whose name starts with `counted` must receive. */
  readonly records: number;
  readonly counted: string;
}

/** Rates count the running phase (all tasks RUNNING until FINISHED), not scheduling. */
async function runningPhaseOf(
  client: RestClient,
  scenario: string,
  run: ClusterRun,
  settings: { parallelism: number; exchange?: 'tcp' | 'sqs' },
): Promise<Measurement> {
  const { jobId } = await submitJob(client, join(BENCH_JOBS, run.job), run.args, settings);
  let startedAt: number | undefined;
  for (;;) {
    const job = await client.getJob(jobId);
    const running = job.vertices.every((v) =>
      v.subtasks.every((s) => s.state === 'RUNNING' || s.state === 'FINISHED'),
    );
    if (startedAt === undefined && job.status === 'RUNNING' && running) startedAt = performance.now();
    if (job.status === 'FINISHED') {
      const seconds = (performance.now() - (startedAt ?? performance.now())) / 1000;
      const counted = job.vertices.find((v) => v.name.startsWith(run.counted))!.recordsIn;
      if (counted !== run.records)
        throw new Error(`${scenario}: ${run.counted} received ${counted} records, expected ${run.records}`);
      return { scenario, records: run.records, seconds, recordsPerSec: run.records / seconds };
    }
    if (job.status === 'FAILED' || job.status === 'CANCELED')
      throw new Error(`${scenario}: job ${job.status}: ${job.failure?.message ?? ''}`);
    await sleep(10);
  }
}
