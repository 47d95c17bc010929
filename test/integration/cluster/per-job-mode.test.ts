import { fixtureJob } from '../../helpers/embedded';
import { TestCluster } from '../../helpers/cluster';
import { waitFor } from '../../../runtime/util/wait';

describe('cluster: per-job mode', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    // The job manager starts TaskManager child processes for each job and stops them after.
    cluster = await TestCluster.start({ 'execution.target': 'per-job', 'taskmanager.numberOfTaskSlots': 2 });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts TaskManagers sized for the job, runs it on them, and stops them when it ends', async () => {
    expect(await cluster.jobManager.dispatcher.listTaskManagers()).toHaveLength(0);
    const jobId = await cluster.submit(
      fixtureJob('paced-sum-job'),
      { records: '20000', keys: '3' },
      { parallelism: 3 },
    );
    const running = await waitFor(
      async () => {
        const tms = await cluster.jobManager.dispatcher.listTaskManagers();
        return tms.length > 0 ? tms : undefined;
      },
      { timeoutMs: 30_000, what: 'per-job TaskManagers' },
    );
    expect(running.every((tm) => tm.id.startsWith(`job-${jobId}-`))).toBe(true);
    const done = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 60_000);
    expect(done.status).toBe('FINISHED');
    // 3 slots needed at 2 slots per TaskManager: two TaskManagers.
    expect(new Set(done.vertices.flatMap((v) => v.subtasks.map((s) => s.taskManagerId))).size).toBe(2);
    const sums = new Map<number, number>();
    for (let x = 0; x < 20000; x++) sums.set(x % 3, (sums.get(x % 3) ?? 0) + x);
    const results = (await cluster.output(jobId)).results as [number, number][];
    expect(new Map(results)).toEqual(sums);
    await waitFor(async () => (await cluster.jobManager.dispatcher.listTaskManagers()).length === 0, {
      timeoutMs: 20_000,
      what: 'per-job TaskManagers to stop',
    });
  });
});
