/**
 * Flink's numLateRecordsDropped from TaskManager processes: keyed and `windowAll` windows with
 * no late side output, in `GET /jobs/:id` (per vertex and per subtask), Prometheus and `sluice info`.
 */
import type { FastifyInstance } from 'fastify';
import type { JobDetails } from '../../../runtime/jobmanager/gateway';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import { waitFor } from '../../../runtime/util/wait';
import { LATE_DROP_ARGS, expectedLateDrops } from '../../fixtures/jobs/late-drop-reference';
import { runCli } from '../../helpers/cli-runner';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';
import { listenOnLoopback } from '../../helpers/rest-fixtures';

describe('cluster: late records dropped', () => {
  let cluster: TestCluster;
  let rest: FastifyInstance;
  const auth = { authorization: 'Bearer late-token' };

  beforeAll(async () => {
    cluster = await TestCluster.start();
    await cluster.startTaskManager(2);
    rest = createRestServer({
      gateway: cluster.jobManager.dispatcher,
      token: 'late-token',
      maxBodyBytes: 1 << 20,
    });
  });

  afterAll(async () => {
    await rest?.close();
    await cluster?.stop();
  });

  const get = async <T>(url: string): Promise<T> =>
    (await rest.inject({ method: 'GET', url, headers: auth })).json<T>();

  it('windows count the readings they drop as late, as computed from the raw readings', async () => {
    const expected = expectedLateDrops();
    expect(expected).toBeGreaterThan(0);
    const count = Number(LATE_DROP_ARGS.count);
    const jobId = await cluster.submit(fixtureJob('late-drop-job'), LATE_DROP_ARGS, { parallelism: 2 });
    const operator = (j: JobDetails, name: string) => {
      const vertex = j.vertices.find((v) => v.operators.some((o) => o.name === name))!;
      return { vertex, op: vertex.operators.find((o) => o.name === name)! };
    };
    // Every reading has reached both windows (the source then idles, the job keeps RUNNING).
    const job = await waitFor(
      async () => {
        const j = await get<JobDetails>(`/jobs/${jobId}`);
        const done =
          j.status === 'RUNNING' &&
          ['windows', 'all'].every((name) => operator(j, name).op?.recordsIn === count);
        return done ? j : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'every reading to reach the windows' },
    );
    for (const name of ['windows', 'all']) {
      const { vertex, op } = operator(job, name);
      expect(op.lateRecordsDropped).toBe(expected);
      const perSubtask = vertex.subtasks.map(
        (s) => s.operators.find((o) => o.id === op.id)!.lateRecordsDropped!,
      );
      expect(perSubtask).toHaveLength(name === 'windows' ? 2 : 1);
      expect(perSubtask.reduce((a, b) => a + b, 0)).toBe(expected);
    }
    // Operators that drop no late records do not report the count.
    const others = job.vertices
      .flatMap((v) => v.operators)
      .filter((o) => !['windows', 'all'].includes(o.name));
    expect(others.length).toBeGreaterThan(0);
    for (const o of others) expect(o.lateRecordsDropped).toBeUndefined();

    const text = (await rest.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
    const series = (name: string): number[] =>
      text
        .split('\n')
        .filter(
          (l) => l.startsWith('sluice_operator_numLateRecordsDropped{') && l.includes(`operator="${name}"`),
        )
        .map((l) => Number(l.split(' ').at(-1)));
    expect(series('windows')).toHaveLength(2);
    expect(series('windows').reduce((a, b) => a + b, 0)).toBe(expected);
    expect(series('all')).toEqual([expected]);
    expect(
      text.split('\n').filter((l) => l.startsWith('sluice_operator_numLateRecordsDropped{')),
    ).toHaveLength(3);

    const url = await listenOnLoopback(rest);
    const info = await runCli(['info', jobId, '--rest-url', url, '--token', 'late-token']);
    expect(info.code).toBe(0);
    const lines = info.stdout.split('\n');
    const header = lines
      .find((l) => l.includes('LATE DROPPED'))!
      .trim()
      .split(/\s{2,}/);
    const column = header.indexOf('LATE DROPPED');
    expect(column).toBe(header.indexOf('RECORDS OUT') + 1);
    const rows = lines.map((l) => l.trim().split(/\s{2,}/)).filter((cells) => cells.length === header.length);
    const cell = (name: string) => rows.find((cells) => cells[1] === name)![column];
    expect(cell('windows')).toBe(String(expected));
    expect(cell('all')).toBe(String(expected));
    expect(cell('readings')).toBe('-');

    await cluster.jobManager.dispatcher.cancelJob(jobId);
    await cluster.waitForStatus(jobId, ['CANCELED']);
  }, 120_000);
});
