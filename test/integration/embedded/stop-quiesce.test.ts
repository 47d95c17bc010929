/**
 * Stop with savepoint WITHOUT drain emits nothing after the savepoint's barrier (issue 9,
 * Flink quiesces the task's timers): a job whose output comes only from processing-time
 * timers, behind slow async calls, into a non-transactional `collect` sink. Timers due and
 * calls completing between a task's snapshot and its end would emit records the savepoint
 * holds again (timers, calls in flight); the resumed job emits those. Before and after the
 * stop together must be exactly the output of an uninterrupted run: nothing twice, nothing lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSavepoint } from '../../../runtime/checkpoint/savepoint-store';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';
import { stopWithSavepointWhenReady } from '../../helpers/savepoints';

const RECORDS = 3_000;
const base = mkdtempSync(join(tmpdir(), 'sluice-stop-quiesce-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('stop without drain: no output after the savepoint barrier (MiniCluster)', () => {
  const blobs = new FsBlobStore({ dir: join(base, 'store') });
  /** What the collect sinks sent, by job id. */
  const results = new Map<string, number[]>();
  const resultsOf = (jobId: string): number[] => results.get(jobId) ?? [];
  let cluster: MiniCluster;

  beforeAll(async () => {
    cluster = new MiniCluster({
      slotsPerTaskManager: 6,
      blobStore: blobs,
      listener: {
        onResults: (task, values) => {
          const list = results.get(task.jobId) ?? [];
          list.push(...(values as number[]));
          results.set(task.jobId, list);
        },
      },
    });
    await cluster.start();
  });
  afterAll(async () => cluster?.close());

  const job = () =>
    prepareJob(fixtureJob('stop-quiesce-job'), { records: String(RECORDS) }, { parallelism: 2 });
  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

  it('timers and async results after the stop savepoint are not emitted; the resume emits them once', async () => {
    const reference = job();
    const uninterrupted = cluster.submitJob(reference.jobGraph, reference.code);
    await uninterrupted.whenTerminal();
    expect(uninterrupted.status).toBe('FINISHED');
    const expected = sorted(resultsOf(uninterrupted.jobId));
    // Every number once: the timers of the last ones fired before the source ended.
    expect(expected).toEqual(Array.from({ length: RECORDS }, (_, i) => i));

    const first = job();
    const master = cluster.submitJob(first.jobGraph, first.code);
    await waitFor(() => resultsOf(master.jobId).length > RECORDS / 4, {
      what: 'timers emitting',
      timeoutMs: 30_000,
    });
    const { externalPath, checkpointId } = await stopWithSavepointWhenReady(master, blobs);
    expect(master.status).toBe('FINISHED');
    const before = resultsOf(master.jobId);
    expect(before.length).toBeLessThan(RECORDS);

    const savepoint = await readSavepoint(blobs, externalPath);
    const resumed = job();
    const second = cluster.submitJob(resumed.jobGraph, resumed.code, {
      checkpointId,
      metadataKey: savepoint.metadataKey,
    });
    await second.whenTerminal();
    expect(second.status).toBe('FINISHED');
    const after = resultsOf(second.jobId);
    // Named sets first, for a readable failure: what both runs emitted is emitted twice.
    const twice = after.filter((v) => before.includes(v));
    expect({ twice: twice.slice(0, 20), count: twice.length }).toEqual({ twice: [], count: 0 });
    expect(sorted([...before, ...after])).toEqual(expected);
  }, 120_000);
});
