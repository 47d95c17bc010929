import { prepareJob } from '../../../runtime/client/prepare-job';
import { InMemorySlotRegistry } from '../../../runtime/coordination/embedded/in-memory-slot-registry';
import { IllegalStateTransitionError } from '../../../runtime/errors';
import type { JobMasterContext } from '../../../runtime/jobmanager/job-master-context';
import { JobMaster } from '../../../runtime/jobmanager/job-master';
import { fixedDelay } from '../../../runtime/jobmanager/restart-strategy';
import { DEFAULT_NETWORK_SETTINGS } from '../../../runtime/minicluster/mini-cluster';
import { createLogger } from '../../../runtime/util/logger';
import { fixtureJob } from '../../helpers/embedded';

/** A job master over an empty embedded slot registry: no TaskManager, so no task ever runs. */
function jobWithoutTaskManagers(slotRequestTimeoutMs = 60_000): {
  job: JobMaster;
  registry: InMemorySlotRegistry;
} {
  const { jobGraph, code } = prepareJob(fixtureJob('failing-job'), {}, { parallelism: 2 });
  const registry = new InMemorySlotRegistry();
  const context: JobMasterContext = {
    registry,
    resourceManager: { usableTaskManagers: () => registry.listTaskManagers(), taskExecutor: () => undefined },
    network: DEFAULT_NETWORK_SETTINGS,
    slotRequestTimeoutMs,
    restartStrategy: fixedDelay(3, 0),
    exchange: 'tcp',
    logger: createLogger('test'),
  };
  const submission = {
    jobGraph,
    artifact: 'a'.repeat(64),
    args: code.args,
    buildSettings: code.buildSettings,
  };
  return { job: new JobMaster('job-1', submission, context), registry };
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
