import { randomBytes } from 'node:crypto';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { JobSettings } from '../../../runtime/api/job-settings';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { buildExecutionGraph } from '../../../runtime/graph/execution-graph';
import { DEFAULT_NETWORK_SETTINGS } from '../../../runtime/minicluster/mini-cluster';
import type { PeerAddress } from '../../../runtime/network/exchange-transport';
import { SqsExchange } from '../../../runtime/network/sqs/sqs-exchange';
import type { TaskDeploymentDescriptor } from '../../../runtime/deployment/task-deployment';
import { createDeploymentDescriptor } from '../../../runtime/deployment/task-deployment';
import { TaskExecutor } from '../../../runtime/taskmanager/task-executor';
import { waitFor } from '../../../runtime/util/wait';
import { functionJob, runEmbedded } from '../../helpers/embedded';
import type { FauxqsServer } from '../../helpers/fauxqs';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION, startFauxqs } from '../../helpers/fauxqs';
import { TransportChannelProvider } from '../../helpers/transport-channel-provider';

let fauxqs: FauxqsServer;

beforeAll(async () => {
  fauxqs = await startFauxqs();
});

afterAll(async () => {
  await fauxqs.stop();
});

const TMS: PeerAddress[] = [
  { taskManagerId: 'tm-a', host: '127.0.0.1', port: 0 },
  { taskManagerId: 'tm-b', host: '127.0.0.1', port: 0 },
];

/**
 * Runs a job on two "TaskManagers" in this process: each has its own TaskExecutor (real task
 * threads) and its own SqsExchange; subtasks alternate between them, so most channels cross
 * SQS. Resolves with the printed lines once every task finished.
 */
async function runOverSqs(
  modulePath: string,
  settings: Partial<JobSettings>,
  prefix: string,
): Promise<{ lines: string[]; remote: number }> {
  const { jobGraph, code } = prepareJob(modulePath, {}, settings);
  const jobId = randomBytes(16).toString('hex');
  const network = { bufferTimeoutMs: jobGraph.settings.bufferTimeoutMs, ...DEFAULT_NETWORK_SETTINGS };
  const descriptors = buildExecutionGraph(jobGraph, jobId, 0).map((v) =>
    createDeploymentDescriptor(jobId, 0, jobGraph, code, v, network),
  );
  const vertexIndex = new Map(jobGraph.vertices.map((v, i) => [v.id, i]));
  const tmOf = (tdd: TaskDeploymentDescriptor): PeerAddress =>
    TMS[(vertexIndex.get(tdd.vertexId)! + tdd.subtaskIndex) % 2]!;
  const producerOf = new Map<string, PeerAddress>();
  const consumerOf = new Map<string, PeerAddress>();
  for (const tdd of descriptors) {
    for (const gate of tdd.inputs) for (const id of gate.channels) consumerOf.set(id, tmOf(tdd));
    for (const out of tdd.outputs) for (const id of out.channels) producerOf.set(id, tmOf(tdd));
  }
  const placement = (id: string) => ({ producer: producerOf.get(id)!, consumer: consumerOf.get(id)! });
  const remote = [...producerOf.keys()].filter(
    (id) => placement(id).producer !== placement(id).consumer,
  ).length;

  const lines: string[] = [];
  let remaining = descriptors.length;
  const exchanges: SqsExchange[] = [];
  const executors: TaskExecutor[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      for (const tm of TMS) {
        const exchange = new SqsExchange({
          taskManagerId: tm.taskManagerId,
          endpoint: fauxqs.endpoint,
          region: FAUXQS_REGION,
          credentials: FAUXQS_CREDENTIALS,
          queuePrefix: prefix,
          waitTimeSeconds: 1,
        });
        exchange.onChannelsLost((ids, error) =>
          reject(new Error(`channels lost on ${tm.taskManagerId}: ${ids.join(', ')}: ${error.message}`)),
        );
        exchanges.push(exchange);
        executors.push(
          new TaskExecutor(new TransportChannelProvider(tm, exchange, placement), {
            onStateChange: (_task, state, error) => {
              if (state === 'FAILED') reject(new Error(`task failed: ${error?.message}`));
              if (state === 'FINISHED' && --remaining === 0) resolve();
            },
            onOutput: (_job, l) => void lines.push(...l),
            onResults: () => undefined,
          }),
        );
      }
      for (const tdd of descriptors) executors[TMS.indexOf(tmOf(tdd))]!.deploy(tdd);
    });
  } finally {
    await Promise.all(executors.map((e) => e.close()));
    // Let the exchanges finish what the finished tasks left (last sends, queue deletions).
    await waitFor(
      () => exchanges.every((e) => e.stats().producerChannels + e.stats().consumerChannels === 0),
      {
        what: 'channels released',
      },
    ).catch(() => undefined);
    await Promise.all(exchanges.map((e) => e.close()));
  }
  return { lines, remote };
}

describe('a job over the SQS exchange', () => {
  it('runs word count on two TaskManagers with the same output as the embedded run, and cleans up its queues', async () => {
    const settings = { parallelism: 2, chaining: false };
    const prefix = `wc${randomBytes(4).toString('hex')}`;
    const [embedded, overSqs] = await Promise.all([
      runEmbedded(functionJob('word-count'), {}, settings),
      runOverSqs(functionJob('word-count'), settings, prefix),
    ]);
    expect(overSqs.remote).toBeGreaterThanOrEqual(8);
    expect(overSqs.lines.length).toBeGreaterThan(100);
    expect([...overSqs.lines].sort()).toEqual([...embedded.lines].sort());

    const sqs = new SQSClient({
      endpoint: fauxqs.endpoint,
      region: FAUXQS_REGION,
      credentials: FAUXQS_CREDENTIALS,
    });
    try {
      const left = async (): Promise<string[]> =>
        (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }))).QueueUrls ?? [];
      expect(await left()).toEqual([]);
    } finally {
      sqs.destroy();
    }
  });
});
