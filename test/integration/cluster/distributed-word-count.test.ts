import { fixtureJob, functionJob, runEmbedded } from '../../helpers/embedded';
import { TestCluster } from '../../helpers/cluster';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import { waitFor } from '../../../runtime/util/wait';

describe('cluster: job manager + TaskManager processes over TCP', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start();
    await Promise.all([cluster.startTaskManager(2), cluster.startTaskManager(2)]);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs word-count at parallelism 4 across both TaskManagers with the embedded result', async () => {
    const jobId = await cluster.submit(functionJob('word-count'), {}, { parallelism: 4 });
    const job = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(job.status).toBe('FINISHED');
    const hosts = new Set(job.vertices.flatMap((v) => v.subtasks.map((s) => s.taskManagerId)));
    expect(hosts).toEqual(new Set(cluster.taskManagers.map((t) => t.id)));
    const { lines } = await cluster.output(jobId);
    const embedded = await runEmbedded(functionJob('word-count'), {}, { parallelism: 4 });
    expect([...lines].sort()).toEqual([...embedded.lines].sort());
    expect(job.vertices.find((v) => v.name.startsWith('counts'))!.recordsIn).toBe(embedded.lines.length);
  });

  it('lists both TaskManagers with their slots, all free after the job', async () => {
    const tms = await cluster.jobManager.dispatcher.listTaskManagers();
    expect(tms.map((t) => t.id).sort()).toEqual(cluster.taskManagers.map((t) => t.id).sort());
    for (const tm of tms) {
      expect(tm.slotsTotal).toBe(2);
      expect(tm.slotsFree).toBe(2);
      expect(tm.connected).toBe(true);
    }
  });

  it('shows back pressure of a source behind a slow operator', async () => {
    const jobId = await cluster.submit(
      fixtureJob('slow-consumer-job'),
      { count: '3000000' },
      { parallelism: 1 },
    );
    const pressured = await waitFor(
      async () => {
        const job = await cluster.job(jobId);
        const source = job.vertices.find((v) => v.name.startsWith('fast-source'))!;
        return job.status === 'RUNNING' && source.backPressure.ratio > 0.5 ? source : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the source to report back pressure' },
    );
    expect(pressured.backPressure.level).toBe('high');
    expect(pressured.subtasks[0]!.backPressuredMs).toBeGreaterThan(0);
    const slow = (await cluster.job(jobId)).vertices.find((v) => v.name.startsWith('slow'))!;
    expect(slow.backPressure.ratio).toBeLessThan(pressured.backPressure.ratio);
    await cluster.jobManager.dispatcher.cancelJob(jobId);
    await cluster.waitForStatus(jobId, ['CANCELED']);
  });

  it('serves Prometheus metrics of the cluster and its running jobs (token required)', async () => {
    const rest = createRestServer({
      gateway: cluster.jobManager.dispatcher,
      token: 'metrics-token',
      maxBodyBytes: 1 << 20,
    });
    try {
      const jobId = await cluster.submit(
        fixtureJob('unbounded-job'),
        {},
        { parallelism: 1, chaining: false },
      );
      await cluster.waitForStatus(jobId, ['RUNNING']);
      expect((await rest.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      const text = await waitFor(
        async () => {
          const body = (
            await rest.inject({
              method: 'GET',
              url: '/metrics',
              headers: { authorization: 'Bearer metrics-token' },
            })
          ).body;
          return /sluice_task_records_in\{[^}]*vertex="filter"[^}]*\} [1-9]/.test(body) ? body : undefined;
        },
        { timeoutMs: 15_000, what: 'records of the running job in /metrics' },
      );
      expect(text).toContain('sluice_taskmanagers 2');
      expect(text).toMatch(/sluice_task_slots\{state="total"\} 4/);
      expect(text).toMatch(/sluice_jobs\{status="RUNNING"\} 1/);
      expect(text).toContain(`job_id="${jobId}"`);
      expect(text).toContain('sluice_jobmanager_process_cpu_user_seconds_total');
      await cluster.jobManager.dispatcher.cancelJob(jobId);
      await cluster.waitForStatus(jobId, ['CANCELED']);
    } finally {
      await rest.close();
    }
  });

  it('shares slots: 3 operators at parallelism 2 take 2 slots, a second sharing group takes 2 more', async () => {
    const usedSlots = async (): Promise<number> =>
      (await cluster.jobManager.dispatcher.listTaskManagers()).reduce(
        (n, t) => n + t.slotsTotal - t.slotsFree,
        0,
      );
    const one = await cluster.submit(fixtureJob('unbounded-job'), {}, { parallelism: 2, chaining: false });
    await cluster.waitForStatus(one, ['RUNNING']);
    expect(await usedSlots()).toBe(2);
    const two = await cluster.submit(
      fixtureJob('unbounded-job'),
      { secondGroup: 'true' },
      { parallelism: 1 },
    );
    await cluster.waitForStatus(two, ['RUNNING']);
    expect(await usedSlots()).toBe(4);
    await cluster.jobManager.dispatcher.cancelJob(one);
    await cluster.jobManager.dispatcher.cancelJob(two);
    await cluster.waitForStatus(one, ['CANCELED']);
    await cluster.waitForStatus(two, ['CANCELED']);
    expect(await usedSlots()).toBe(0);
  });
});
