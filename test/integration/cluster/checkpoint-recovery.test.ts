/**
 * Checkpoints on a real cluster: TaskManager processes upload snapshots to the blob store
 * (the S3 emulator) and acknowledge over the control connection; the job manager's
 * coordinator (ids from Redis) completes them; a killed TaskManager's job restores the latest.
 * Needs the task side of checkpoints (branch ckpt-task) to pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../runtime/util/wait';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';

let cluster: TestCluster;
const base = mkdtempSync(join(tmpdir(), 'sluice-cluster-ckpt-'));

beforeAll(async () => {
  cluster = await TestCluster.withTaskManagers([2, 2]);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(base, { recursive: true, force: true });
});

function maxPerKey(results: unknown[]): Map<string, number> {
  const max = new Map<string, number>();
  for (const r of results as string[]) {
    const [k, c] = r.split(':');
    max.set(k!, Math.max(max.get(k!) ?? 0, Number(c)));
  }
  return max;
}

test('kill -9 of a TaskManager: the job restores its latest checkpoint and counts every key exactly once', async () => {
  // Long enough (about 9 s of paced records per source subtask) that the kill, after two
  // checkpoints, lands mid-job even on a loaded machine: every key must still have records after
  // the restored checkpoint, or the finishing attempt prints nothing for it (it failed that way
  // once at 6,000 records, with key 0 absent from the output).
  const count = 30_000;
  const jobId = await cluster.submit(
    fixtureJob('checkpointed-count-job'),
    { count: String(count), keys: '7' },
    {
      parallelism: 2,
      checkpointIntervalMs: 100,
      restartStrategy: { 'restart-strategy.fixed-delay.delay': 50 },
    },
  );
  const gateway = cluster.jobManager.dispatcher;
  await waitFor(async () => (await gateway.checkpointStats(jobId)).counts.completed >= 2, {
    what: 'two completed checkpoints',
    timeoutMs: 30_000,
  });
  const details = await cluster.job(jobId);
  const victim = details.vertices[0]!.subtasks[0]!.taskManagerId!;
  await cluster.taskManagers.find((tm) => tm.id === victim)!.kill('SIGKILL');
  const ended = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED'], 90_000);
  expect(ended.status).toBe('FINISHED');
  expect(ended.restarts).toBeGreaterThanOrEqual(1);
  const stats = await gateway.checkpointStats(jobId);
  expect(stats.latest.restored?.id).toBeGreaterThanOrEqual(1);
  // Tasks finish once a checkpoint taken after their end of input completed (the final one, or a periodic one).
  expect(stats.counts.completed).toBeGreaterThanOrEqual(3);
  const { results } = await cluster.output(jobId);
  const max = maxPerKey(results);
  for (let k = 0; k < 7; k++) {
    const expected = Array.from({ length: count }, (_, i) => i + 1).filter((x) => x % 7 === k).length;
    expect([k, max.get(String(k))]).toEqual([k, expected]);
  }
  expect(results.length).toBeLessThan(count);
}, 120_000);
