/**
 * Canceling the tasks of an attempt a recovering leader numbered (issue 10: attempts of a
 * recovered job start at `token × 10 000`) releases the channels of the attempts that ran on
 * this executor, not of every number below. Releasing 0…40 000 one by one once blocked a
 * TaskManager's main thread for about 30 s: no heartbeats, no reconnection to the new leader
 * (the chaos suite's "TaskManagers took 31 s to reconnect").
 */
import { prepareJob } from '../../../runtime/client/prepare-job';
import { createDeploymentDescriptor } from '../../../runtime/deployment/task-deployment';
import type { ExecutionState } from '../../../runtime/deployment/execution-state';
import { buildExecutionGraph } from '../../../runtime/graph/execution-graph';
import { DEFAULT_NETWORK_SETTINGS } from '../../../runtime/minicluster/mini-cluster';
import { LocalChannelProvider } from '../../../runtime/network/channel-provider';
import { TaskExecutor } from '../../../runtime/taskmanager/task-executor';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';

/** The local provider, recording which prefixes are released. */
class RecordingChannels extends LocalChannelProvider {
  readonly released: string[] = [];
  override release(prefix: string): void {
    this.released.push(prefix);
    super.release(prefix);
  }
}

function deployAttempt(executor: TaskExecutor, jobId: string, attempt: number): number {
  const { jobGraph, code } = prepareJob(
    fixtureJob('paced-sum-job'),
    { records: '100000000', keys: '10', pauseEvery: '1000', pauseMs: '5' },
    { parallelism: 1 },
  );
  const network = { bufferTimeoutMs: jobGraph.settings.bufferTimeoutMs, ...DEFAULT_NETWORK_SETTINGS };
  const tasks = buildExecutionGraph(jobGraph, jobId, attempt).map((v) =>
    createDeploymentDescriptor(jobId, attempt, jobGraph, code, v, network),
  );
  for (const tdd of tasks) executor.deploy(tdd);
  return tasks.length;
}

test('canceling a recovered attempt releases the channels of the attempts that ran here only', async () => {
  const channels = new RecordingChannels();
  const states = new Map<string, ExecutionState>();
  const executor = new TaskExecutor(channels, {
    onStateChange: (k, state) => states.set(`${k.attempt}/${k.vertexId}/${k.subtaskIndex}`, state),
    onOutput: () => undefined,
    onResults: () => undefined,
  });
  const jobId = 'recovered';
  try {
    const tasks = deployAttempt(executor, jobId, 40_000);
    await waitFor(() => [...states.values()].filter((s) => s === 'RUNNING').length === tasks, {
      what: 'the tasks of attempt 40000 to run',
      timeoutMs: 30_000,
    });
    // As on the loss of the job manager: every attempt of the job.
    await executor.cancelJob(jobId);
    expect([...states.values()].every((state) => state === 'CANCELED')).toBe(true);
    expect(channels.released).toEqual([`${jobId}/40000/`]);

    // A cancel naming an attempt that never ran here still releases that attempt.
    channels.released.length = 0;
    await executor.cancelJob(jobId, 50_000);
    expect(channels.released).toEqual([`${jobId}/50000/`]);

    // The next leader deploys its attempt while the tasks of the lost one are still stopping:
    // the cancel that began before must not release the new attempt's channels.
    channels.released.length = 0;
    deployAttempt(executor, jobId, 60_000);
    const running = (attempt: number): number =>
      [...states].filter(([k, s]) => k.startsWith(`${attempt}/`) && s === 'RUNNING').length;
    await waitFor(() => running(60_000) === tasks, { what: 'attempt 60000 to run', timeoutMs: 30_000 });
    const lostLeader = executor.cancelJob(jobId);
    deployAttempt(executor, jobId, 70_000);
    await lostLeader;
    expect(channels.released).toEqual([`${jobId}/60000/`]);
    await waitFor(() => running(70_000) === tasks, { what: 'attempt 70000 to run', timeoutMs: 30_000 });
  } finally {
    await executor.cancelJob(jobId);
  }
});
