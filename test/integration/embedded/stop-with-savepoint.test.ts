/**
 * Stop-with-savepoint (issue 9, Flink's `POST /jobs/:id/stop`) on a MiniCluster: the job takes a
 * savepoint, its sources end, and it FINISHES (not canceled); the two-phase-commit file sink has
 * committed exactly what the savepoint covers, so a job resumed from it continues the counts
 * without a gap or a repeat. With and without drain. An event-time window job stopped WITHOUT
 * drain is suspended: no open window fires, so across the stop and the resume (at another
 * parallelism) every window is committed exactly once; with drain the open windows fire at the
 * stop (event time ends), and the resumed job fires the rest of them.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StopMode } from '../../../runtime/checkpoint/checkpointing-mode';
import { readSavepoint, savepointTargetDir } from '../../../runtime/checkpoint/savepoint-store';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';
import { checkCountsContinue } from '../../helpers/savepoint-output';
import {
  checkSplitWindows,
  committedLines as committedWindows,
  expectedWindows,
} from '../../helpers/window-output';
import { stopWithSavepointWhenReady } from '../../helpers/savepoints';

const RECORDS = 12_000;
const KEYS = 37;
const WINDOW_RECORDS = 6_000;
const WINDOW_KEYS = 13;
const base = mkdtempSync(join(tmpdir(), 'sluice-stop-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function committedLines(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.startsWith('part-'))
    .reduce((n, f) => n + readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length, 0);
}

describe('stop with savepoint (MiniCluster, in-process TaskManagers, fs store)', () => {
  const blobs = new FsBlobStore({ dir: join(base, 'store') });
  let cluster: MiniCluster;

  beforeAll(async () => {
    cluster = new MiniCluster({ slotsPerTaskManager: 6, blobStore: blobs });
    await cluster.start();
  });
  afterAll(async () => cluster?.close());

  const job = (output: string, parallelism: number) =>
    prepareJob(
      fixtureJob('savepoint-count-job'),
      { records: String(RECORDS), keys: String(KEYS), paceEvery: '2', output },
      { parallelism },
    );

  it.each<StopMode>(['no-drain', 'drain'])(
    '%s: the job FINISHES, its sink committed what the savepoint covers, a resume continues exactly',
    async (mode) => {
      const output = join(base, `out-${mode}`);
      const first = job(output, 2);
      const master = cluster.submitJob(first.jobGraph, first.code);
      await waitFor(() => master.status === 'RUNNING', { what: 'running' });
      const { externalPath, checkpointId } = await stopWithSavepointWhenReady(master, blobs, mode);
      expect(master.status).toBe('FINISHED');
      const savepoint = await readSavepoint(blobs, externalPath);
      expect(savepoint.metadata).toMatchObject({ kind: 'savepoint', checkpointId });
      // Stopped early: some but not all records, every one of them committed.
      const committed = committedLines(output);
      expect(committed).toBeGreaterThan(0);
      expect(committed).toBeLessThan(RECORDS);

      const resumed = job(output, 3);
      const second = cluster.submitJob(resumed.jobGraph, resumed.code, {
        checkpointId,
        metadataKey: savepoint.metadataKey,
      });
      await second.whenTerminal();
      expect(second.status).toBe('FINISHED');
      expect(checkCountsContinue(output, RECORDS, KEYS)).toBe(RECORDS);
    },
    120_000,
  );

  const windowJob = (output: string, parallelism: number) =>
    prepareJob(
      fixtureJob('window-count-job'),
      {
        records: String(WINDOW_RECORDS),
        keys: String(WINDOW_KEYS),
        paceEvery: '1',
        // 10-15 s per run: the stop must find windows both committed and open on a slow machine.
        pauseMs: '5',
        interval: '250',
        output,
      },
      { parallelism },
    );

  it.each<[StopMode, number, number]>([
    ['no-drain', 2, 3],
    ['drain', 3, 1],
  ])(
    'window job, %s, parallelism %i then %i: the windows across both runs are exactly the events',
    async (mode, from, to) => {
      const output = join(base, `windows-${mode}`);
      const first = windowJob(output, from);
      const master = cluster.submitJob(first.jobGraph, first.code);
      // Some windows committed (so the stop comes mid-run, after windows fired), others open.
      await waitFor(() => committedWindows(output).length > 0, {
        what: 'a checkpoint that committed windows',
        timeoutMs: 30_000,
      });
      const { externalPath, checkpointId } = await master.checkpointRequests.stopWithSavepoint(
        savepointTargetDir(blobs, 'savepoints', master.jobId),
        mode,
      );
      expect(master.status).toBe('FINISHED');
      const stopped = committedWindows(output);
      expect(stopped.length).toBeLessThan(expectedWindows(WINDOW_RECORDS, WINDOW_KEYS).length);

      const savepoint = await readSavepoint(blobs, externalPath);
      const resumed = windowJob(output, to);
      const second = cluster.submitJob(resumed.jobGraph, resumed.code, {
        checkpointId,
        metadataKey: savepoint.metadataKey,
      });
      await second.whenTerminal();
      expect(second.status).toBe('FINISHED');
      const all = committedWindows(output);
      if (mode === 'no-drain') {
        expect(all).toEqual(expectedWindows(WINDOW_RECORDS, WINDOW_KEYS));
      } else {
        // Drain ended event time: the windows open at the stop fired early, their rest after the resume.
        expect(checkSplitWindows(all, WINDOW_RECORDS, WINDOW_KEYS).length).toBeGreaterThan(0);
      }
    },
    120_000,
  );
});
