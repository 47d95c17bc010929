/**
 * Partitioners between TaskManager processes: rescale's pointwise channels, global, shuffle
 * and a custom partitioner over the TCP exchange place every record as Flink's rules say.
 */
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';
import { checkPartitionerLines } from '../../fixtures/jobs/partitioners-reference';

describe('cluster: partitioners', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.withTaskManagers([4, 4]);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('rescale, global, shuffle and partitionCustom place every record by their rules', async () => {
    const records = 4000;
    const jobId = await cluster.submit(fixtureJob('partitioners-job'), { records: String(records) });
    const job = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 120_000);
    expect(job.failure).toBeUndefined();
    expect(job.status).toBe('FINISHED');
    // 4 lines per record: more than one page of output.
    const lines: string[] = [];
    for (let next = 0; ;) {
      const page = await cluster.jobManager.dispatcher.jobOutput(jobId, next, 0);
      expect(page.droppedLines).toBe(0);
      lines.push(...page.lines);
      if (page.nextLine === next) break;
      next = page.nextLine;
    }
    checkPartitionerLines(lines, records);
  }, 180_000);
});
