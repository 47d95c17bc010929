/**
 * A user function that throws on a cluster: the failure names the job's TypeScript file and
 * line (through the bundle's source map) in REST, `sluice info` and the following CLI, and
 * carries no server path (issue 7 items 6 and 7).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { REPO_ROOT, fixtureJob } from '../../helpers/embedded';
import { TestCluster } from '../../helpers/cluster';
import { startCli } from '../../helpers/cli-runner';
import { formatJobInfo } from '../../../runtime/cli/info-command';
import type { JobDetails } from '../../../runtime/jobmanager/gateway';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import { waitFor } from '../../../runtime/util/wait';

const THROWING_LINE =
  readFileSync(fixtureJob('failing-job'), 'utf8')
    .split('\n')
    .findIndex((line) => line.includes('throw new Error(`boom')) + 1;

describe('cluster: where a user function failed', () => {
  let cluster: TestCluster;
  let rest: FastifyInstance;
  let restUrl: string;
  const token = 'failure-token';

  beforeAll(async () => {
    cluster = await TestCluster.start({ 'restart-strategy.fixed-delay.attempts': 0 });
    await cluster.startTaskManager(2);
    rest = createRestServer({ gateway: cluster.jobManager.dispatcher, token, maxBodyBytes: 1 << 20 });
    restUrl = await rest.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await rest?.close();
    await cluster?.stop();
  });

  it("names the job's .ts file and throwing line in REST, sluice info and the following CLI, and no server path", async () => {
    const run = startCli([
      'run',
      fixtureJob('failing-job'),
      '-p',
      '2',
      '--arg',
      'failAt=300',
      '--rest-url',
      restUrl,
      '--token',
      token,
    ]);
    expect(await run.done).toBe(1);
    const jobId = (await cluster.jobManager.dispatcher.listJobs())[0]!.jobId;
    const reply = await rest.inject({
      method: 'GET',
      url: `/jobs/${jobId}`,
      headers: { authorization: `Bearer ${token}` },
    });
    const job = reply.json<JobDetails>();
    expect(job.status).toBe('FAILED');
    const place = `test/fixtures/jobs/failing-job.ts:${THROWING_LINE}:`;
    const stackLines = job.failure!.jobStack!.split('\n');
    expect(stackLines[0]).toBe('Error: boom at 300');
    expect(stackLines[1]).toContain(`(${place}`);
    expect(stackLines).toHaveLength(2);
    // No server stack reaches clients: no Sluice or dependency frames, no absolute paths.
    expect(reply.body).not.toMatch(/runtime\/|node_modules|node:internal/);
    expect(reply.body).not.toContain(REPO_ROOT);
    expect(job.failure!.stack).toBeUndefined();
    expect(formatJobInfo(job)).toContain(place);
    await waitFor(() => run.stderr().includes(place), {
      timeoutMs: 15_000,
      what: 'the CLI to print the place',
    });
  });
});
