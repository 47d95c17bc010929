/**
 * Checkpoints (issue 8), side by side in one run:
 * - checkpointOverhead: the keyed count with exactly-once checkpoints every second vs none;
 * - kvVsHeap: the keyed count on the kv backend vs heap (no checkpoints);
 * - checkpoint duration and size with 1M distinct keys, per backend (the final checkpoint
 *   of a bounded job holds every key);
 * - recoverySeconds: on a local cluster, from kill -9 of a TaskManager to records flowing again.
 */
import { join } from 'node:path';
import { prepareJob } from '../../runtime/client/prepare-job';
import type { JobSettings } from '../../runtime/api/job-settings';
import { MiniCluster } from '../../runtime/minicluster/mini-cluster';
import { slotRequests } from '../../runtime/jobmanager/slot-scheduler';
import type { Measurement } from './measure';
import { alternatingRounds, BENCH_JOBS, expectCount, measure } from './measure';

export interface CheckpointFigures {
  readonly measurements: Measurement[];
  /** Per backend: the final checkpoint of 1M keys. */
  readonly oneMillionKeys: Record<string, { durationMs: number; bytes: number }>;
}

/** Runs the keyed-count bench job on a MiniCluster; returns the records counted and the final checkpoint's figures. */
async function runKeyedCount(
  args: Record<string, string>,
  settings: Partial<JobSettings> = { parallelism: 1 },
): Promise<{ counted: number; checkpoint?: { durationMs: number; bytes: number } }> {
  const { jobGraph, code } = prepareJob(join(BENCH_JOBS, 'keyed-count.ts'), args, settings);
  const cluster = new MiniCluster({ slotsPerTaskManager: slotRequests(jobGraph).length });
  await cluster.start();
  try {
    const job = cluster.submitJob(jobGraph, code);
    await job.whenTerminal();
    if (job.status !== 'FINISHED')
      throw new Error(`keyed count ${job.status}: ${job.failure?.message ?? ''}`);
    const latest = job.checkpointStats().latest.completed;
    const counted = job.details().vertices.find((v) => v.name.startsWith('counts'))!.recordsIn;
    return {
      counted,
      ...(latest ? { checkpoint: { durationMs: latest.durationMs, bytes: latest.stateSize } } : {}),
    };
  } finally {
    await cluster.close();
  }
}

export async function checkpointScenarios(records: number, keys: number): Promise<CheckpointFigures> {
  const keyed = (scenario: string, args: Record<string, string>) =>
    measure(scenario, records, async () =>
      expectCount(
        scenario,
        (await runKeyedCount({ records: String(records), keys: String(keys), ...args })).counted,
        records,
      ),
    );
  // A heap run takes a few seconds, so one run is at the mercy of the shared machine: the two
  // heap variants alternate for 3 rounds and each row is its median (checkpointOverhead).
  const measurements = [
    ...(await alternatingRounds(3, [
      () => keyed('checkpoints/keyed-count-heap-none', { backend: 'heap' }),
      () => keyed('checkpoints/keyed-count-heap-every-1s', { backend: 'heap', interval: '1000' }),
    ])),
    await keyed('checkpoints/keyed-count-kv-none', { backend: 'kv' }),
    await keyed('checkpoints/keyed-count-kv-every-1s', { backend: 'kv', interval: '1000' }),
  ];
  const oneMillionKeys: CheckpointFigures['oneMillionKeys'] = {};
  for (const backend of ['heap', 'kv']) {
    const run = await runKeyedCount({ records: '1000000', keys: '1000000', backend, interval: '3600000' });
    if (!run.checkpoint) throw new Error(`${backend}: the bounded job took no final checkpoint`);
    oneMillionKeys[backend] = run.checkpoint;
  }
  return { measurements, oneMillionKeys };
}
