import { prepareJob } from '../../../runtime/client/prepare-job';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { functionJob, runEmbedded } from '../../helpers/embedded';

describe('MiniCluster', () => {
  it('runs a job across several in-process TaskManagers with the same output as one', async () => {
    const wordCount = functionJob('word-count');
    const { jobGraph, code } = prepareJob(wordCount, {}, { parallelism: 2 });
    const lines: string[] = [];
    const cluster = new MiniCluster({
      taskManagers: 2,
      slotsPerTaskManager: 1,
      listener: {
        onOutput: (_task, l) => {
          lines.push(...l);
        },
      },
    });
    await cluster.start();
    try {
      const job = cluster.submitJob(jobGraph, code);
      await job.whenTerminal();
      expect(job.status).toBe('FINISHED');
      const placements = job.details().vertices.map((v) => new Set(v.subtasks.map((s) => s.taskManagerId)));
      expect(placements.every((tms) => tms.size === 2)).toBe(true);
      expect(cluster.runningTasks()).toEqual([]);
    } finally {
      await cluster.close();
    }
    const reference = await runEmbedded(wordCount, {}, { parallelism: 2 });
    expect(lines.length).toBeGreaterThan(100);
    expect([...lines].sort()).toEqual([...reference.lines].sort());
  });
});
