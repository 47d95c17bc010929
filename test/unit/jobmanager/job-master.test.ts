import { prepareJob } from '../../../runtime/client/prepare-job';
import { InMemorySlotRegistry } from '../../../runtime/coordination/embedded/in-memory-slot-registry';
import { IllegalStateTransitionError } from '../../../runtime/errors';
import type { JobMasterContext } from '../../../runtime/jobmanager/job-master-context';
import { JobMaster } from '../../../runtime/jobmanager/job-master';
import { fixedDelay } from '../../../runtime/jobmanager/restart-strategy';
import { DEFAULT_NETWORK_SETTINGS } from '../../../runtime/minicluster/mini-cluster';
import { createLogger } from '../../../runtime/util/logger';
import { fixtureJob } from '../../helpers/embedded';
import type { TaskExecutorGateway } from '../../../runtime/jobmanager/task-executor-gateway';
import { waitFor } from '../../../runtime/util/wait';

/** A job master over an empty embedded slot registry: no TaskManager, so no task ever runs. */
function jobWithoutTaskManagers(slotRequestTimeoutMs = 60_000): {
  job: JobMaster;
  registry: InMemorySlotRegistry;
} {
  const registry = new InMemorySlotRegistry();
  const job = failingJobMaster('job-1', registry, {
    slotRequestTimeoutMs,
    restartStrategy: fixedDelay(3, 0),
  });
  return { job, registry };
}

/** A job master of the failing fixture job at parallelism 2 on `registry`, its context's defaults overridden. */
function failingJobMaster(
  id: string,
  registry: InMemorySlotRegistry,
  overrides: Partial<JobMasterContext> & { taskExecutor?: TaskExecutorGateway },
): JobMaster {
  const { jobGraph, code } = prepareJob(fixtureJob('failing-job'), {}, { parallelism: 2 });
  const { taskExecutor, ...rest } = overrides;
  const context: JobMasterContext = {
    registry,
    resourceManager: {
      usableTaskManagers: () => registry.listTaskManagers(),
      taskExecutor: () => taskExecutor,
    },
    network: DEFAULT_NETWORK_SETTINGS,
    slotRequestTimeoutMs: 60_000,
    restartStrategy: fixedDelay(3, 0),
    exchange: 'tcp',
    logger: createLogger('test'),
    ...rest,
  };
  const submission = {
    jobGraph,
    artifact: 'a'.repeat(64),
    args: code.args,
    buildSettings: code.buildSettings,
  };
  return new JobMaster(id, submission, context);
}

describe('JobMaster lifecycle', () => {
  it('does nothing until started, and starts once', async () => {
    const { job } = jobWithoutTaskManagers();
    await new Promise((resolve) => setImmediate(resolve));
    expect([job.status, job.attempt]).toEqual(['CREATED', -1]);
    job.start({ checkpointId: 7, metadataKey: 'checkpoints/job-1/chk-7/_metadata' });
    expect(job.restoredFrom).toEqual({ checkpointId: 7, metadataKey: 'checkpoints/job-1/chk-7/_metadata' });
    expect(() => job.start()).toThrow(IllegalStateTransitionError);
    job.cancel();
    await job.whenTerminal();
    expect(job.status).toBe('CANCELED');
  });

  it('exposes its status read-only', () => {
    const descriptor = Object.getOwnPropertyDescriptor(JobMaster.prototype, 'status');
    expect(descriptor?.get).toBeDefined();
    expect(descriptor?.set).toBeUndefined();
  });

  it('ends CANCELED when canceled before it started, and cannot be started after', async () => {
    const { job } = jobWithoutTaskManagers();
    job.cancel();
    await job.whenTerminal();
    expect(job.status).toBe('CANCELED');
    expect(job.endTime).toBeDefined();
    expect(() => job.start()).toThrow(IllegalStateTransitionError);
  });

  it('fails without restarting when slots never come: restarting would only wait again', async () => {
    const { job } = jobWithoutTaskManagers(100);
    job.start();
    await job.whenTerminal();
    expect(job.status).toBe('FAILED');
    expect(job.restarts).toBe(0);
    expect(job.failure).toMatchObject({ code: 'SLUICE_NO_RESOURCES' });
    expect(job.failure?.message).toMatch(/slot sharing group 'default' needs 2 slots/);
  });
});

describe('JobMaster restart delay', () => {
  const DELAY_MS = 500;
  /** The failed attempt's cancel takes twice the restart delay to be confirmed. */
  const CANCEL_MS = 2 * DELAY_MS;

  it("counts from the failure while the failed attempt is torn down (Flink's max(delay, cancel), not their sum)", async () => {
    const registry = new InMemorySlotRegistry();
    await registry.registerTaskManager(
      {
        id: 'tm',
        dataHost: '127.0.0.1',
        dataPort: 1,
        numberOfSlots: 4,
        totalResources: { cpuCores: 4, heapMb: 1024, directMb: 0, nativeMb: 0, networkMb: 0, managedMb: 0 },
        registeredAt: 0,
      },
      60_000,
    );
    const deploys: { attempt: number; at: number }[] = [];
    let failedAt = 0;
    let cancelConfirmedAt = 0;
    const taskExecutor: TaskExecutorGateway = {
      async deployTask({ tdd }) {
        deploys.push({ attempt: tdd.attempt, at: performance.now() });
        if (tdd.attempt === 0 && failedAt === 0) {
          failedAt = performance.now();
          const ref = {
            jobId: tdd.jobId,
            attempt: 0,
            vertexId: tdd.vertexId,
            subtaskIndex: tdd.subtaskIndex,
          };
          setImmediate(() =>
            job.onTaskState({ ...ref, state: 'FAILED', error: { name: 'Error', message: 'boom' } }),
          );
        }
      },
      async cancelJob(_jobId, attempt) {
        if (attempt !== 0) return;
        await new Promise((resolve) => setTimeout(resolve, CANCEL_MS));
        cancelConfirmedAt = performance.now();
      },
      triggerCheckpoint: async () => undefined,
      notifyCheckpointComplete: async () => undefined,
      abortCheckpoint: async () => undefined,
    };
    const job = failingJobMaster('job-delay', registry, {
      taskExecutor,
      restartStrategy: fixedDelay(1, DELAY_MS),
    });
    job.start();
    await waitFor(() => deploys.some((d) => d.attempt === 1), {
      timeoutMs: 10_000,
      what: 'attempt 1 deployed',
    });
    const restartedAt = deploys.find((d) => d.attempt === 1)!.at;
    job.cancel();
    await job.whenTerminal();
    // The delay is honoured from the failure...
    expect(restartedAt - failedAt).toBeGreaterThanOrEqual(DELAY_MS);
    // ...and had already passed when the cancel was confirmed: the restart follows the cancel
    // at once instead of waiting the whole delay again after it.
    expect(cancelConfirmedAt).toBeGreaterThan(0);
    expect(restartedAt - cancelConfirmedAt).toBeLessThan(DELAY_MS);
  });
});
