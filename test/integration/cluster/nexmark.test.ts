import { join } from 'node:path';
import { TestCluster } from '../../helpers/cluster';
import { REPO_ROOT, runEmbedded } from '../../helpers/embedded';

const query = (q: string): string => join(REPO_ROOT, 'functions', 'nexmark', `${q}.ts`);
const ARGS = { events: '20000', rate: '500', sink: 'print' };

/**
 * What a run must agree on: q4's running averages depend on the order in which closing prices
 * of different auctions meet (as Flink's updating aggregate does), so for it the last average
 * of each category; for the others every result.
 */
function settled(q: string, lines: string[]): string[] {
  if (q !== 'q4') return [...lines].sort();
  const last = new Map<number, { category: number; auctions: number }>();
  for (const r of lines.map((l) => JSON.parse(l) as { category: number; auctions: number })) {
    if ((last.get(r.category)?.auctions ?? -1) < r.auctions) last.set(r.category, r);
  }
  return [...last.values()].map((r) => JSON.stringify(r)).sort();
}

/**
 * Nexmark queries on a job manager and two TaskManager processes, with exactly-once checkpoints:
 * their output equals the embedded run's (which nexmark-queries.test.ts checks against
 * reference computations), with one subtask of every operator in each TaskManager.
 */
describe('cluster: Nexmark queries across two TaskManagers', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start();
    await Promise.all([cluster.startTaskManager(1), cluster.startTaskManager(1)]);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it.each(['q4', 'q8'])('%s over TCP with checkpoints equals the embedded run', async (q) => {
    const jobId = await cluster.submit(query(q), ARGS, { parallelism: 2, checkpointIntervalMs: 500 });
    const job = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 120_000);
    expect(job.failure?.message).toBeUndefined();
    expect(job.status).toBe('FINISHED');
    const hosts = new Set(job.vertices.flatMap((v) => v.subtasks.map((s) => s.taskManagerId)));
    expect(hosts).toEqual(new Set(cluster.taskManagers.map((t) => t.id)));
    const { lines } = await cluster.output(jobId);
    const embedded = await runEmbedded(query(q), ARGS, { parallelism: 2 });
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.length).toBe(embedded.lines.length);
    expect(settled(q, lines)).toEqual(settled(q, embedded.lines));
  });
});
