import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster } from '../../local/cluster';
import { RestClient } from '../../runtime/client/rest-client';
import { submitJob } from '../../runtime/client/submit-job';
import { sleep } from '../../runtime/util/wait';
import { WORDS_PER_LINE } from '../jobs/workload';
import type { Measurement } from './measure';
import { BENCH_JOBS } from './measure';
import { bullmqWordCount, redisStreamsWordCount } from './redis-baselines';

/**
 * The keyed word count on a real local cluster (job manager and 2 TaskManagers with 1 slot
 * each, as processes): at parallelism 2 one subtask runs in each TaskManager, so the hash
 * exchange crosses TCP; at parallelism 1 everything runs in one TaskManager. Rates count the
 * running phase (all tasks RUNNING until FINISHED), not scheduling. In the same run, the same
 * word count through Redis Streams and BullMQ on the cluster's Redis, and over the SQS exchange
 * on the emulator (with a TCP run on the same, smaller input beside it).
 */
export async function clusterScenarios(
  lines: number,
  bullmqLines: number,
  sqsLines: number,
): Promise<Measurement[]> {
  const rootDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const cluster = await startLocalCluster({ taskManagers: 2, slots: 1, cloud: 'auto', rootDir, restPort: 0 });
  try {
    const client = new RestClient({ url: cluster.restUrl, token: cluster.token });
    const results = [
      await runningPhase(client, 'cluster/tcp-p2', lines, 2),
      await runningPhase(client, 'cluster/one-taskmanager-p1', lines, 1),
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

async function runningPhase(
  client: RestClient,
  scenario: string,
  lines: number,
  parallelism: number,
  exchange: 'tcp' | 'sqs' = 'tcp',
): Promise<Measurement> {
  const job = join(BENCH_JOBS, 'keyed-word-count.ts');
  const { jobId } = await submitJob(client, job, { records: String(lines) }, { parallelism, exchange });
  let startedAt: number | undefined;
  for (;;) {
    const job = await client.getJob(jobId);
    const running = job.vertices.every((v) =>
      v.subtasks.every((s) => s.state === 'RUNNING' || s.state === 'FINISHED'),
    );
    if (startedAt === undefined && job.status === 'RUNNING' && running) startedAt = performance.now();
    if (job.status === 'FINISHED') {
      const seconds = (performance.now() - (startedAt ?? performance.now())) / 1000;
      const records = lines * WORDS_PER_LINE;
      const counted = job.vertices.find((v) => v.name.startsWith('counts'))!.recordsIn;
      if (counted !== records)
        throw new Error(`${scenario}: the counts received ${counted} records, expected ${records}`);
      return { scenario, records, seconds, recordsPerSec: records / seconds };
    }
    if (job.status === 'FAILED' || job.status === 'CANCELED')
      throw new Error(`${scenario}: job ${job.status}: ${job.failure?.message ?? ''}`);
    await sleep(10);
  }
}
