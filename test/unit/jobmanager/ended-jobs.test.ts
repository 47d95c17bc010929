import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { EndedJobs } from '../../../runtime/jobmanager/ended-jobs';
import { JobGraphStore } from '../../../runtime/jobmanager/job-graph-store';
import type { JobResult } from '../../../runtime/jobmanager/job-result-store';
import { JobResultStore, recordJobResult } from '../../../runtime/jobmanager/job-result-store';
import type { BlobStore } from '../../../runtime/storage/blob-store';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { createLogger } from '../../../runtime/util/logger';
import { fixtureJob } from '../../helpers/embedded';

let dir: string;
let blobs: FsBlobStore;
let results: JobResultStore;
let graphs: JobGraphStore;
const logger = createLogger('test');

const ID_A = 'a'.repeat(32);
const ID_B = 'b'.repeat(32);

function result(jobId: string, status: JobResult['status'], startTime: number): JobResult {
  return {
    jobId,
    name: `job ${jobId.slice(0, 1)}`,
    status,
    startTime,
    endTime: startTime + 500,
    restarts: 2,
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-ended-jobs-'));
  blobs = new FsBlobStore({ dir });
  results = new JobResultStore(blobs);
  graphs = new JobGraphStore(blobs);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('EndedJobs (jobs that ended under an earlier leader)', () => {
  it('lists every job with a result but those the leader holds, and shows one with its vertices', async () => {
    const { jobGraph, code } = prepareJob(fixtureJob('failing-job'), {}, { parallelism: 2 });
    await graphs.put({
      jobId: ID_A,
      submittedAt: 1,
      submission: { jobGraph, artifact: 'f'.repeat(64), args: code.args, buildSettings: code.buildSettings },
    });
    await results.record(result(ID_A, 'FINISHED', 1_000));
    await results.record(result(ID_B, 'CANCELED', 2_000));
    // Not a result: a record without one, and a key of another shape.
    await graphs.put({ ...(await graphs.get(ID_A)), jobId: 'c'.repeat(32) });
    await blobs.put(`jobs/${ID_A}/result.json.tmp`, 'x');
    expect(await results.jobIds()).toEqual([ID_A, ID_B]);

    const ended = new EndedJobs(results, graphs, logger);
    const all = await ended.list(new Set());
    expect(all.map((j) => [j.jobId, j.status, j.durationMs])).toEqual([
      [ID_A, 'FINISHED', 500],
      [ID_B, 'CANCELED', 500],
    ]);
    expect((await ended.list(new Set([ID_B]))).map((j) => j.jobId)).toEqual([ID_A]);

    const details = await ended.details(ID_A);
    expect(details).toMatchObject({ status: 'FINISHED', restarts: 2, endTime: 1_500 });
    expect(details!.vertices.map((v) => [v.name, v.parallelism, v.status])).toEqual(
      jobGraph.vertices.map((v) => [v.name, v.parallelism, 'FINISHED']),
    );
    // Without its record (here: job B), the job is still shown, without vertices.
    expect((await ended.details(ID_B))?.vertices).toEqual([]);
    expect(await ended.details('d'.repeat(32))).toBeUndefined();
    const page = await ended.outputPage(ID_B, 7, 3);
    expect(page).toMatchObject({ status: 'CANCELED', lines: [], nextLine: 7, nextResult: 3 });
  });
});

describe('recordJobResult', () => {
  it('retries a failing write until it is stored, checking the leadership before every attempt', async () => {
    let failures = 2;
    const flaky: BlobStore = Object.create(blobs) as BlobStore;
    flaky.put = async (...args: Parameters<BlobStore['put']>) => {
      if (failures-- > 0) throw new Error('S3 answered 503');
      return blobs.put(...args);
    };
    let checks = 0;
    const stored = await recordJobResult(
      new JobResultStore(flaky),
      result(ID_A, 'FINISHED', 1),
      async () => void checks++,
      logger,
    );
    expect(stored).toBe(true);
    expect(checks).toBe(3);
    expect((await results.get(ID_A))?.status).toBe('FINISHED');
  });
});
