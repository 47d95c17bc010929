import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { InMemorySlotRegistry } from '../../../runtime/coordination/embedded/in-memory-slot-registry';
import { StorageError } from '../../../runtime/errors';
import { JobMaster } from '../../../runtime/jobmanager/job-master';
import { JobResultStore, jobResultKey } from '../../../runtime/jobmanager/job-result-store';
import { fixedDelay } from '../../../runtime/jobmanager/restart-strategy';
import { DEFAULT_NETWORK_SETTINGS } from '../../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { createLogger } from '../../../runtime/util/logger';
import { fixtureJob } from '../../helpers/embedded';

let dir: string;
let blobs: FsBlobStore;
let results: JobResultStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-job-results-'));
  blobs = new FsBlobStore({ dir });
  results = new JobResultStore(blobs);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A job master without TaskManagers, recording into `results`. */
function jobMaster(jobId: string, slotRequestTimeoutMs: number): JobMaster {
  const { jobGraph, code } = prepareJob(fixtureJob('failing-job'), {}, { parallelism: 2 });
  const registry = new InMemorySlotRegistry();
  return new JobMaster(
    jobId,
    { jobGraph, artifact: 'a'.repeat(64), args: code.args, buildSettings: code.buildSettings },
    {
      registry,
      resourceManager: {
        usableTaskManagers: () => registry.listTaskManagers(),
        taskExecutor: () => undefined,
      },
      network: DEFAULT_NETWORK_SETTINGS,
      slotRequestTimeoutMs,
      restartStrategy: fixedDelay(3, 0),
      exchange: 'tcp',
      jobResults: results,
      logger: createLogger('test'),
    },
  );
}

describe('JobResultStore', () => {
  it('keeps the result of every ended job in jobs/<jobId>/result.json', async () => {
    const canceled = jobMaster('job-canceled', 60_000);
    const failed = jobMaster('job-failed', 50);
    canceled.start();
    failed.start();
    canceled.cancel();
    await Promise.all([canceled.whenTerminal(), failed.whenTerminal()]);
    expect(await results.get('job-canceled')).toMatchObject({ jobId: 'job-canceled', status: 'CANCELED' });
    const result = await results.get('job-failed');
    expect(result).toMatchObject({ status: 'FAILED', restarts: 0, endTime: failed.endTime });
    expect(result!.endTime).toBeGreaterThanOrEqual(result!.startTime);
    expect(await blobs.list('jobs')).toEqual([jobResultKey('job-canceled'), jobResultKey('job-failed')]);
  });

  it('has no result for a job that did not end', async () => {
    expect(await results.get('unknown')).toBeUndefined();
  });

  it('refuses a stored result that is not JSON or belongs to another job, naming the key', async () => {
    await blobs.put(jobResultKey('broken'), '{not json');
    await expect(results.get('broken')).rejects.toThrow(StorageError);
    await expect(results.get('broken')).rejects.toThrow('jobs/broken/result.json is not JSON');
    await results.record({
      jobId: 'a',
      name: 'a',
      status: 'FINISHED',
      startTime: 1,
      endTime: 2,
      restarts: 0,
    });
    await blobs.copy(jobResultKey('a'), jobResultKey('b'));
    await expect(results.get('b')).rejects.toThrow('is not a result of job b');
  });
});
