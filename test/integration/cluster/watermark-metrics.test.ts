/**
 * Per-subtask watermarks (issue 11 item 1) from TaskManager processes: Flink's
 * `GET /jobs/:id/vertices/:vertexId/watermarks`, Prometheus and `sluice info`'s formatter.
 */
import type { FastifyInstance } from 'fastify';
import { formatJobInfo } from '../../../runtime/cli/info-command';
import type { JobDetails } from '../../../runtime/jobmanager/gateway';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import { waitFor } from '../../../runtime/util/wait';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';

describe('cluster: watermarks per subtask', () => {
  let cluster: TestCluster;
  let rest: FastifyInstance;
  const auth = { authorization: 'Bearer watermark-token' };

  beforeAll(async () => {
    cluster = await TestCluster.start();
    await cluster.startTaskManager(4);
    rest = createRestServer({
      gateway: cluster.jobManager.dispatcher,
      token: 'watermark-token',
      maxBodyBytes: 1 << 20,
    });
  });

  afterAll(async () => {
    await rest?.close();
    await cluster?.stop();
  });

  const get = async <T>(url: string): Promise<T> =>
    (await rest.inject({ method: 'GET', url, headers: auth })).json<T>();

  it('each subtask of a keyed process reports the watermark of the paced, monotonous sequence it reads', async () => {
    // The sequence 1..n has event time x * 10 ms, so the watermark (x * 10 - 1) stays below 10 * records read.
    const jobId = await cluster.submit(
      fixtureJob('timer-recovery-job'),
      { count: '100000000' },
      { parallelism: 2 },
    );
    const job = await waitFor(
      async () => {
        const j = await get<JobDetails>(`/jobs/${jobId}`);
        const keyed = j.vertices.find((v) => v.name.startsWith('KeyedProcess'));
        const ready = keyed?.subtasks.every((s) => s.operators[0]?.currentInputWatermark !== undefined);
        return j.status === 'RUNNING' && ready ? j : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'every keyed subtask with a watermark' },
    );
    const keyed = job.vertices.find((v) => v.name.startsWith('KeyedProcess'))!;
    const source = job.vertices.find((v) => v.name.startsWith('sequence'))!;
    const first = await get<{ id: string; value: string }[]>(
      `/jobs/${jobId}/vertices/${keyed.id}/watermarks`,
    );
    expect(first.map((m) => m.id).sort()).toEqual(['0.currentInputWatermark', '1.currentInputWatermark']);
    // Source subtask 0 reads 1, 2, ... (subtask 1 starts half-way): the keyed subtasks' event time is
    // the lower of the two, x * 10 - 1 for an x subtask 0 read. Metrics arrive with a delay, so wait for the count.
    const highest = Math.max(...first.map((m) => Number(m.value)));
    expect(Math.min(...first.map((m) => Number(m.value)))).toBeGreaterThan(0);
    await waitFor(
      async () => {
        const j = await get<JobDetails>(`/jobs/${jobId}`);
        const read = j.vertices.find((v) => v.id === source.id)!.subtasks.find((t) => t.subtask === 0)!;
        return 10 * read.operators[0]!.recordsOut > highest;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'source subtask 0 to have read past the watermark' },
    );
    // Event time advances while the job runs.
    await waitFor(
      async () => {
        const later = await get<{ id: string; value: string }[]>(
          `/jobs/${jobId}/vertices/${keyed.id}/watermarks`,
        );
        return later.every((m) => Number(m.value) > Number(first.find((f) => f.id === m.id)!.value));
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'the watermarks to advance' },
    );
    const unknown = await rest.inject({
      method: 'GET',
      url: `/jobs/${jobId}/vertices/nope/watermarks`,
      headers: auth,
    });
    expect(unknown.statusCode).toBe(404);

    const text = (await rest.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
    const series = text
      .split('\n')
      .filter((l) => l.startsWith('sluice_task_currentInputWatermark{') && l.includes(keyed.name));
    expect(series).toHaveLength(2);
    for (const line of series) expect(Number(line.split(' ').at(-1))).toBeGreaterThan(0);
    expect(text).toMatch(
      /sluice_operator_currentOutputWatermark\{[^}]*operator="Timestamps\/Watermarks"[^}]*\} [1-9]/,
    );

    const info = formatJobInfo(await get<JobDetails>(`/jobs/${jobId}`));
    expect(info).toMatch(/CURRENT INPUT WATERMARK/);
    expect(info).toMatch(/KeyedProcess[^\n]*\s1\s+\d+ \(\d{4}-/);
    await cluster.jobManager.dispatcher.cancelJob(jobId);
    await cluster.waitForStatus(jobId, ['CANCELED']);
  }, 120_000);
});
