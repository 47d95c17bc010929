/**
 * Metrics that name the bottleneck (issue 7 item 5): records per operator inside chains, and
 * Flink's busy / idle / back-pressured time split, in REST and Prometheus, from TaskManager processes.
 */
import type { FastifyInstance } from 'fastify';
import { fixtureJob } from '../../helpers/embedded';
import { runCli } from '../../helpers/cli-runner';
import { listenOnLoopback } from '../../helpers/rest-fixtures';
import { TestCluster } from '../../helpers/cluster';
import type { JobDetails } from '../../../runtime/jobmanager/gateway';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import { waitFor } from '../../../runtime/util/wait';

describe('cluster: task and operator metrics', () => {
  let cluster: TestCluster;
  let rest: FastifyInstance;
  const auth = { authorization: 'Bearer metrics-token' };

  beforeAll(async () => {
    cluster = await TestCluster.start();
    await cluster.startTaskManager(2);
    rest = createRestServer({
      gateway: cluster.jobManager.dispatcher,
      token: 'metrics-token',
      maxBodyBytes: 1 << 20,
    });
  });

  afterAll(async () => {
    await rest?.close();
    await cluster?.stop();
  });

  const details = async (jobId: string): Promise<JobDetails> =>
    (await rest.inject({ method: 'GET', url: `/jobs/${jobId}`, headers: auth })).json<JobDetails>();

  it('counts records per operator of a fully chained job, equal to the records that went through', async () => {
    const count = 30_000;
    const jobId = await cluster.submit(
      fixtureJob('chained-job'),
      { count: String(count) },
      { parallelism: 2 },
    );
    await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    const job = await details(jobId);
    expect(job.failure).toBeUndefined();
    expect(job.status).toBe('FINISHED');
    // Each subtask's sink says how many records it wrote.
    const evens = ((await cluster.output(jobId)).results as number[]).reduce((a, b) => a + b, 0);
    expect(evens).toBe(count / 2);
    expect(job.vertices).toHaveLength(1);
    const [chain] = job.vertices;
    expect(chain!.recordsIn).toBe(count);
    expect(chain!.recordsOut).toBe(evens);
    expect(chain!.operators.map((o) => [o.name, o.recordsIn, o.recordsOut])).toEqual([
      ['numbers', count, count],
      ['triple', count, count],
      ['even', count, evens],
      ['count', evens, evens],
    ]);
    const perSubtask = chain!.subtasks.map((s) => s.operators.find((o) => o.name === 'triple')!.recordsIn);
    expect(perSubtask.reduce((a, b) => a + b, 0)).toBe(count);
    expect(perSubtask.every((n) => n > 0)).toBe(true);
  });

  it('shows a slow sink busy and its producer back-pressured, in REST and Prometheus', async () => {
    const jobId = await cluster.submit(
      fixtureJob('slow-sink-job'),
      { count: '100000000', burnUs: '50' },
      { parallelism: 1 },
    );
    const job = await waitFor(
      async () => {
        const j = await details(jobId);
        const sink = j.vertices.find((v) => v.name === 'slow-sink');
        const source = j.vertices.find((v) => v.name === 'fast-source');
        const clear =
          (sink?.busyTimeMsPerSecond ?? 0) > 700 && (source?.backPressuredTimeMsPerSecond ?? 0) > 700;
        return j.status === 'RUNNING' && clear ? j : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the sink busy and the source back-pressured' },
    );
    const sink = job.vertices.find((v) => v.name === 'slow-sink')!;
    const source = job.vertices.find((v) => v.name === 'fast-source')!;
    expect(sink.recordsIn).toBeGreaterThan(0);
    expect(sink.operators[0]!.recordsIn).toBe(sink.recordsIn);
    expect(sink.backPressuredTimeMsPerSecond).toBeLessThan(100);
    expect(source.busyTimeMsPerSecond).toBeLessThan(300);
    expect(source.backPressure.level).toBe('high');
    const split = sink.subtasks[0]!;
    expect(
      split.busyTimeMsPerSecond + split.idleTimeMsPerSecond + split.backPressuredTimeMsPerSecond,
    ).toBeGreaterThan(900);
    expect(
      split.busyTimeMsPerSecond + split.idleTimeMsPerSecond + split.backPressuredTimeMsPerSecond,
    ).toBeLessThan(1100);

    const text = (await rest.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
    const value = (metric: string, vertex: string): number => {
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`${metric}{`) && l.includes(`vertex="${vertex}"`));
      return Number(line?.split(' ').at(-1));
    };
    expect(value('sluice_task_busy_time_ms_per_second', 'slow-sink')).toBeGreaterThan(500);
    expect(value('sluice_task_back_pressured_time_ms_per_second', 'fast-source')).toBeGreaterThan(500);
    expect(value('sluice_task_idle_time_ms_per_second', 'slow-sink')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(
      /sluice_operator_records_in\{[^}]*vertex="slow-sink"[^}]*operator="slow-sink"[^}]*\} [1-9]/,
    );

    // The same back pressure where an operator looks first: `sluice info`.
    const url = await listenOnLoopback(rest);
    const info = await runCli(['info', jobId, '--rest-url', url, '--token', 'metrics-token']);
    expect(info.code).toBe(0);
    const row = (vertex: string): string[] =>
      info.stdout
        .split('\n')
        .find((l) => l.startsWith(vertex))!
        .trim()
        .split(/\s{2,}/);
    expect(row('VERTEX').at(-1)).toBe('BACK PRESSURE');
    expect(row('fast-source').at(-1)).toMatch(/^high \((\d+)%\)$/);
    expect(Number(/\((\d+)%\)/.exec(row('fast-source').at(-1)!)![1])).toBeGreaterThan(50);
    expect(row('slow-sink').at(-1)).toMatch(/^ok \(\d+%\)$/);
    await cluster.jobManager.dispatcher.cancelJob(jobId);
    await cluster.waitForStatus(jobId, ['CANCELED']);
  });
});
