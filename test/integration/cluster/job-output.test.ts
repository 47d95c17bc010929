import { followJob } from '../../../runtime/client/follow-job';
import type { JobManagerGateway } from '../../../runtime/jobmanager/gateway';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';
import { waitFor } from '../../../runtime/util/wait';

/**
 * Job output travels from task threads over the TaskManagers' control connections to the job
 * manager, and from there to clients by paging. Regression for issue 7 item 1: output beyond
 * the 4 KiB handshake frame limit used to drop the control connection and fail the job.
 */
describe('cluster: job output over the control plane', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start();
    await Promise.all([cluster.startTaskManager(1), cluster.startTaskManager(1)]);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('delivers print and collect batches far over 4 KiB without losing a TaskManager', async () => {
    const jobId = await cluster.submit(
      fixtureJob('print-lines-job'),
      { lines: '2000', width: '200', results: '2000' },
      { parallelism: 2 },
    );
    const { details, results } = await followJob(cluster.jobManager.dispatcher, jobId, {
      pollIntervalMs: 50,
    });
    expect(details.status).toBe('FINISHED');
    expect(details.restarts).toBe(0);
    const lines = await allLines(cluster.jobManager.dispatcher, jobId);
    expect(lines.map(lineNumber).sort((a, b) => a - b)).toEqual(range(2000));
    expect(lines.every((l) => l.length === 200)).toBe(true);
    expect((results as { n: number }[]).map((r) => r.n).sort((a, b) => a - b)).toEqual(range(2000));
    for (const tm of cluster.taskManagers)
      expect(cluster.jobManager.resourceManager.isConnected(tm.id)).toBe(true);
  });

  it('streams 1,000,000 printed lines to a following client, each exactly once, with bounded job manager memory', async () => {
    const total = 1_000_000;
    const jobId = await cluster.submit(
      fixtureJob('print-lines-job'),
      { lines: String(total), width: '48' },
      { parallelism: 2 },
    );
    const seen = new Uint8Array(total);
    let received = 0;
    let duplicates = 0;
    const { details } = await followJob(cluster.jobManager.dispatcher, jobId, {
      pollIntervalMs: 20,
      onLines: (lines) => {
        for (const line of lines) {
          const n = lineNumber(line);
          if (seen[n]) duplicates++;
          seen[n] = 1;
          received++;
        }
      },
    });
    expect(details.status).toBe('FINISHED');
    // A missed heartbeat or a dropped control connection would have restarted the job.
    expect(details.restarts).toBe(0);
    expect(duplicates).toBe(0);
    expect(received).toBe(total);
    expect(seen.every((x) => x === 1)).toBe(true);

    // ~56 MB of lines went through; the job manager held a bounded tail and spilled the rest,
    // and once the job ended it keeps none of it in memory.
    const stats = await waitFor(() => {
      const now = cluster.jobManager.dispatcher.outputStats(jobId).lines;
      return now.memoryItems === 0 ? now : undefined;
    });
    expect(stats.spilledItems).toBe(total);
    expect(stats.dropped).toBe(0);
    expect(stats.peakMemoryBytes).toBeLessThan(24 * 1024 * 1024);

    // A client that starts reading after the end still gets every line from 0, over REST.
    const rest = createRestServer({
      gateway: cluster.jobManager.dispatcher,
      token: 't',
      maxBodyBytes: 1 << 20,
    });
    try {
      const again = new Uint8Array(total);
      let count = 0;
      for (let from = 0; ;) {
        const response = await rest.inject({
          method: 'GET',
          url: `/jobs/${jobId}/output?fromLine=${from}&fromResult=0`,
          headers: { authorization: 'Bearer t' },
        });
        expect(response.statusCode).toBe(200);
        const page = response.json<{ lines: string[]; nextLine: number }>();
        for (const line of page.lines) again[lineNumber(line)] = 1;
        count += page.lines.length;
        if (page.nextLine === from) break;
        from = page.nextLine;
      }
      expect(count).toBe(total);
      expect(again.every((x) => x === 1)).toBe(true);
    } finally {
      await rest.close();
    }
  }, 180_000);

  it('keeps deployments, cancels and heartbeats flowing while a job prints without pause', async () => {
    const { dispatcher, resourceManager } = cluster.jobManager;
    // Far more lines than it can print before the cancel: it prints for as long as the test runs.
    const printing = await cluster.submit(
      fixtureJob('print-lines-job'),
      { lines: String(1e9), width: '48' },
      { parallelism: 1 },
    );
    const printed = (): number => {
      const { memoryItems, spilledItems } = dispatcher.outputStats(printing).lines;
      return memoryItems + spilledItems;
    };
    // Well into the flood: its output has reached the job manager over the control connection.
    await waitFor(() => printed() > 100_000, {
      timeoutMs: 60_000,
      what: 'the printing job to print 100k lines',
    });

    // A deployment (to the other TaskManager's slot) and that job's own output still get through,
    // while the flood goes on.
    const atDeploy = printed();
    const other = await cluster.submit(
      fixtureJob('print-lines-job'),
      { lines: '500', width: '20' },
      { parallelism: 1 },
    );
    const { details: otherDetails } = await followJob(dispatcher, other, { pollIntervalMs: 50 });
    expect(otherDetails.status).toBe('FINISHED');
    expect(otherDetails.restarts).toBe(0);
    expect((await allLines(dispatcher, other)).map(lineNumber).sort((a, b) => a - b)).toEqual(range(500));
    expect((await dispatcher.getJob(printing)).status).toBe('RUNNING');
    expect(printed()).toBeGreaterThan(atDeploy);

    // A cancel reaches the printing task and ends the job while its output is still flowing.
    await dispatcher.cancelJob(printing);
    const canceled = await waitFor(
      async () => {
        const job = await dispatcher.getJob(printing);
        return job.status === 'CANCELED' ? job : undefined;
      },
      { timeoutMs: 30_000, what: 'the printing job to be CANCELED' },
    );
    // No heartbeat timed out and no control connection dropped under the output.
    expect(canceled.restarts).toBe(0);
    for (const tm of cluster.taskManagers) expect(resourceManager.isConnected(tm.id)).toBe(true);
  }, 180_000);
});

/** Every line the job printed so far, page by page. */
async function allLines(gateway: Pick<JobManagerGateway, 'jobOutput'>, jobId: string): Promise<string[]> {
  const lines: string[] = [];
  for (let from = 0; ;) {
    const page = await gateway.jobOutput(jobId, from, 0);
    lines.push(...page.lines);
    if (page.nextLine === from) return lines;
    from = page.nextLine;
  }
}

function lineNumber(line: string): number {
  const match = /^line (\d+) /.exec(line);
  if (!match) throw new Error(`not a printed line: ${line.slice(0, 40)}`);
  return Number(match[1]);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
