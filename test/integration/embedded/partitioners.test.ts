import { prepareJob } from '../../../runtime/client/prepare-job';
import { jobPlan } from '../../../runtime/jobmanager/job-plan';
import { checkPartitionerLines } from '../../fixtures/jobs/partitioners-reference';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

describe('partitioners: rescale, global, shuffle, partitionCustom', () => {
  it('the job graph names each partitioner and no non-forward edge is chained', () => {
    const { jobGraph } = prepareJob(fixtureJob('partitioners-job'), {});
    const strategies = jobPlan('j', jobGraph).plan.nodes.flatMap((n) => n.inputs.map((i) => i.ship_strategy));
    expect(new Set(strategies)).toEqual(new Set(['RESCALE', 'GLOBAL', 'SHUFFLE', 'CUSTOM', 'REBALANCE']));
    // source + tag chained; each of the 4 branches: partitioned map + formatting map chained, then print
    expect(
      jobGraph.vertices.find((v) => v.operators.some((o) => o.name === 'tag-source'))?.operators,
    ).toHaveLength(2);
  });

  it('records land where each partitioner sends them, none lost or duplicated', async () => {
    const records = 4000;
    const { lines, result } = await runEmbedded(fixtureJob('partitioners-job'), { records: String(records) });
    expect(result.jobName).toBe('partitioners');
    checkPartitionerLines(lines, records);
  });

  it('a custom partitioner answering an index out of range fails the job with a clear error', async () => {
    await expect(
      runEmbedded(
        fixtureJob('partitioners-job'),
        { records: '100', badPartition: '1' },
        { restartStrategy: { 'restart-strategy.type': 'none' } },
      ),
    ).rejects.toThrow(
      /partitionCustom: the partitioner returned 3 for key 5, but a partition is an integer from 0 to 2/,
    );
  });
});
