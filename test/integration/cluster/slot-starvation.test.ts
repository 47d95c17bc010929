/**
 * A job that needs more slots than the cluster has must not hold the free ones: it waits,
 * showing `waiting for slots: needs N, M available` (REST, `sluice info`, the following CLI),
 * while a job that fits runs and finishes; once enough slots exist it runs too.
 */
import type { FastifyInstance } from 'fastify';
import { fixtureJob } from '../../helpers/embedded';
import { TestCluster } from '../../helpers/cluster';
import { startCli } from '../../helpers/cli-runner';
import { formatJobInfo } from '../../../runtime/cli/info-command';
import { RestClient } from '../../../runtime/client/rest-client';
import { createRestServer } from '../../../runtime/jobmanager/rest/rest-server';
import { waitFor } from '../../../runtime/util/wait';

describe('cluster: a job too big for the free slots', () => {
  let cluster: TestCluster;
  let rest: FastifyInstance;
  let restUrl: string;

  beforeAll(async () => {
    cluster = await TestCluster.start({ 'slot.request.timeout': 120_000 });
    rest = createRestServer({
      gateway: cluster.jobManager.dispatcher,
      token: cluster.config['rest.token']!,
      maxBodyBytes: cluster.config['rest.max-body-size'],
    });
    restUrl = await rest.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await rest?.close();
    await cluster?.stop();
  });

  it('waits without holding slots and says so, lets a fitting job finish, and runs once slots appear', async () => {
    await cluster.startTaskManager(2);
    const token = cluster.config['rest.token']!;
    const args = { records: '20000', keys: '5', pauseEvery: '1000', pauseMs: '5' };
    // Job A needs 3 slots, the cluster has 2: followed by the CLI like a user would.
    const following = startCli([
      'run',
      fixtureJob('paced-sum-job'),
      '-p',
      '3',
      '--rest-url',
      restUrl,
      '--token',
      token,
      ...Object.entries(args).flatMap(([k, v]) => ['--arg', `${k}=${v}`]),
    ]);
    const waiting = await waitFor(
      async () => {
        const jobs = await cluster.jobManager.dispatcher.listJobs();
        const job = jobs[0] && (await cluster.job(jobs[0].jobId));
        return job?.statusDetail ? job : undefined;
      },
      { timeoutMs: 20_000, what: 'job A to wait for slots' },
    );
    const jobA = waiting.jobId;
    expect(waiting.statusDetail).toBe('waiting for slots: needs 3, 2 available');
    expect(waiting.waitingForSlots).toEqual({ needed: 3, available: 2 });
    expect(waiting.status).toBe('CREATED');
    expect((await cluster.jobManager.dispatcher.overview()).slotsAvailable).toBe(2);

    // What `sluice info` prints (the CLI capture is busy with the following run).
    const overRest = await new RestClient({ url: restUrl, token }).getJob(jobA);
    expect(overRest.statusDetail).toBe('waiting for slots: needs 3, 2 available');
    expect(formatJobInfo(overRest)).toContain('waiting for slots: needs 3, 2 available');

    // Job B fits: it runs and finishes while A keeps waiting.
    const jobB = await cluster.submit(fixtureJob('paced-sum-job'), args, { parallelism: 2 });
    const b = await cluster.waitForStatus(jobB, ['FINISHED', 'FAILED', 'CANCELED'], 60_000);
    expect(b.status).toBe('FINISHED');
    const stillWaiting = await cluster.job(jobA);
    expect(stillWaiting.status).toBe('CREATED');
    expect(stillWaiting.statusDetail).toMatch(/^waiting for slots: needs 3, [02] available$/);

    await cluster.startTaskManager(1);
    const a = await cluster.waitForStatus(jobA, ['FINISHED', 'FAILED', 'CANCELED'], 60_000);
    expect(a.status).toBe('FINISHED');
    expect(a.statusDetail).toBeUndefined();
    expect(await following.done).toBe(0);
    expect(following.stderr()).toContain(`job ${jobA} CREATED (waiting for slots: needs 3, 2 available)`);
  }, 120_000);
});
