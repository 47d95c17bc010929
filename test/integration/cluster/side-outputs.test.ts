/**
 * Side outputs between TaskManager processes: the job's bundle brings its own OutputTag class,
 * and side-output edges cross the TCP exchange. The printed lines equal the reference computed
 * from the raw readings.
 */
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';
import { SIDE_OUTPUT_ARGS, expectedSideOutputLines } from '../../fixtures/jobs/side-output-reference';

describe('cluster: side outputs', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.withTaskManagers([4, 4]);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('chained and network side outputs, window late data included, equal the reference', async () => {
    const jobId = await cluster.submit(fixtureJob('side-output-job'), SIDE_OUTPUT_ARGS);
    const job = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(job.failure).toBeUndefined();
    expect(job.status).toBe('FINISHED');
    const { lines } = await cluster.output(jobId);
    expect([...lines].sort()).toEqual(expectedSideOutputLines());
  }, 120_000);
});
