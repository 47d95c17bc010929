/**
 * Window contents and their timers are keyed state (issue 11): on a real cluster of TaskManager
 * processes they survive a `kill -9` of a TaskManager, and a stop-with-savepoint resumed at
 * another parallelism, with every (key, window) committed exactly once with exactly its events.
 * The expected windows are computed here from the event definition, not by the job's code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../runtime/util/wait';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';
import { committedLines, expectedWindows } from '../../helpers/window-output';

const RECORDS = 12_000;
const KEYS = 13;

let cluster: TestCluster;
const base = mkdtempSync(join(tmpdir(), 'sluice-window-recovery-'));

beforeAll(async () => {
  cluster = await TestCluster.withTaskManagers([4, 4], {
    'slot.request.timeout': 20_000,
    'heartbeat.timeout': 15_000,
  });
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(base, { recursive: true, force: true });
});

const args = (output: string, stateBackend: string): Record<string, string> => ({
  records: String(RECORDS),
  keys: String(KEYS),
  // Each source subtask runs for seconds, so the crash and the savepoint find windows open.
  paceEvery: '1',
  pauseMs: '2',
  interval: '250',
  output,
  stateBackend,
});

test.each(['heap', 'kv'])(
  'window contents survive kill -9 of a TaskManager (%s)',
  async (backend) => {
    const output = join(base, `killed-${backend}`);
    const jobId = await cluster.submit(fixtureJob('window-count-job'), args(output, backend), {
      parallelism: 2,
    });
    const job = await cluster.waitForAllRunning(jobId);
    await cluster.waitForNextCheckpoint(jobId);
    await cluster.crashTaskManager(job, 4);
    const done = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 180_000);
    expect(done.status).toBe('FINISHED');
    expect(
      (await cluster.jobManager.dispatcher.checkpointStats(jobId)).counts.restored,
    ).toBeGreaterThanOrEqual(1);
    expect(committedLines(output)).toEqual(expectedWindows(RECORDS, KEYS));
  },
  240_000,
);

test.each([
  [2, 3],
  [3, 1],
])(
  'window contents move through a savepoint from parallelism %i to %i',
  async (from, to) => {
    const output = join(base, `rescaled-${from}-${to}`);
    const first = await cluster.submit(fixtureJob('window-count-job'), args(output, 'heap'), {
      parallelism: from,
    });
    await waitFor(async () => (await cluster.job(first)).status === 'RUNNING', { what: 'the first run' });
    await cluster.waitForNextCheckpoint(first);
    // A savepoint, then cancel (what `sluice cancel --with-savepoint` does): nothing after it is committed.
    const dir = await cluster.jobManager.dispatcher.savepointDirFor(first, undefined);
    const { externalPath } = await cluster.jobManager.dispatcher.triggerSavepoint(first, dir, true);
    await cluster.waitForStatus(first, ['CANCELED', 'FAILED', 'FINISHED']);
    expect((await cluster.job(first)).status).toBe('CANCELED');
    const partial = committedLines(output).length;
    expect(partial).toBeLessThan(expectedWindows(RECORDS, KEYS).length);

    // Resumed on the other backend too: the snapshot format is the same.
    const second = await cluster.submit(
      fixtureJob('window-count-job'),
      args(output, 'kv'),
      { parallelism: to },
      externalPath,
    );
    const done = await cluster.waitForStatus(second, ['FINISHED', 'FAILED', 'CANCELED'], 180_000);
    expect(done.status).toBe('FINISHED');
    expect(committedLines(output)).toEqual(expectedWindows(RECORDS, KEYS));
  },
  240_000,
);
