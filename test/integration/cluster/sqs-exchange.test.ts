import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { fixtureJob, functionJob, runEmbedded } from '../../helpers/embedded';
import { TestCluster } from '../../helpers/cluster';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION } from '../../helpers/fauxqs';
import { waitFor } from '../../../runtime/util/wait';

describe('cluster: records between TaskManagers through SQS (emulator)', () => {
  let cluster: TestCluster;
  let sqs: SQSClient;

  const queuesOf = async (): Promise<string[]> => {
    const listed = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: cluster.config['sqs.queue-prefix'] }),
    );
    return listed.QueueUrls ?? [];
  };

  beforeAll(async () => {
    cluster = await TestCluster.start();
    await Promise.all([cluster.startTaskManager(2), cluster.startTaskManager(2)]);
    sqs = new SQSClient({
      endpoint: cluster.fauxqs.endpoint,
      region: FAUXQS_REGION,
      credentials: FAUXQS_CREDENTIALS,
    });
  });

  afterAll(async () => {
    sqs?.destroy();
    await cluster?.stop();
  });

  it('runs word-count at parallelism 4 over SQS queues with the embedded result, and removes the queues', async () => {
    const jobId = await cluster.submit(functionJob('word-count'), {}, { parallelism: 4, exchange: 'sqs' });
    const job = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 120_000);
    expect(job.failure?.message).toBeUndefined();
    expect(job.status).toBe('FINISHED');
    expect(new Set(job.vertices.flatMap((v) => v.subtasks.map((s) => s.taskManagerId))).size).toBe(2);
    const { lines } = await cluster.output(jobId);
    const embedded = await runEmbedded(functionJob('word-count'), {}, { parallelism: 4 });
    expect([...lines].sort()).toEqual([...embedded.lines].sort());
    await waitFor(async () => (await queuesOf()).length === 0, {
      timeoutMs: 20_000,
      what: "the job's queues to be deleted",
    });
  });

  it('restarts a job over SQS after a TaskManager is killed, with fresh queues for the new attempt', async () => {
    await cluster.startTaskManager(2);
    const args = { records: '100000', keys: '5', pauseEvery: '500', pauseMs: '20' };
    const jobId = await cluster.submit(fixtureJob('paced-sum-job'), args, {
      parallelism: 4,
      exchange: 'sqs',
    });
    await cluster.taskManagerRunning(await cluster.waitForAllTasksRunning(jobId)).kill('SIGKILL');
    const done = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 120_000);
    expect(done.status).toBe('FINISHED');
    expect(done.restarts).toBeGreaterThanOrEqual(1);
    const sums = new Map<number, number>();
    for (let x = 0; x < 100_000; x++) sums.set(x % 5, (sums.get(x % 5) ?? 0) + x);
    expect(new Map((await cluster.output(jobId)).results as [number, number][])).toEqual(sums);
    await waitFor(async () => (await queuesOf()).length === 0, {
      timeoutMs: 20_000,
      what: 'all queues to be deleted',
    });
  });
});
