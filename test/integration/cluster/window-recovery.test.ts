/**
 * Window contents and their timers are keyed state (issue 11): on a real cluster of TaskManager
 * processes they survive a `kill -9` of a TaskManager, and a stop-with-savepoint resumed at
 * another parallelism, with every (key, window) committed exactly once with exactly its events.
 * The expected windows are computed here from the event definition, not by the job's code.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../runtime/util/wait';
import { eventOf } from '../../fixtures/jobs/window-count-job';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';

const RECORDS = 12_000;
const KEYS = 13;

/** `key start count sum` for every tumbling 1 s window, from the events themselves. */
function expectedWindows(): string[] {
  const windows = new Map<string, { count: number; sum: number }>();
  for (let n = 0; n < RECORDS; n++) {
    const e = eventOf(n, KEYS);
    const id = `${e.key} ${Math.floor(e.ts / 1000) * 1000}`;
    const w = windows.get(id) ?? { count: 0, sum: 0 };
    w.count++;
    w.sum += e.n;
    windows.set(id, w);
  }
  return [...windows].map(([id, w]) => `${id} ${w.count} ${w.sum}`).sort();
}

function committed(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('part-') && !f.includes('inprogress'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.length > 0)
    .sort();
}

let cluster: TestCluster;
const base = mkdtempSync(join(tmpdir(), 'sluice-window-recovery-'));

beforeAll(async () => {
  cluster = await TestCluster.start({ 'slot.request.timeout': 20_000, 'heartbeat.timeout': 15_000 });
  await cluster.startTaskManager(4);
  await cluster.startTaskManager(4);
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
    expect(committed(output)).toEqual(expectedWindows());
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
    const partial = committed(output).length;
    expect(partial).toBeLessThan(expectedWindows().length);

    // Resumed on the other backend too: the snapshot format is the same.
    const second = await cluster.submit(
      fixtureJob('window-count-job'),
      args(output, 'kv'),
      { parallelism: to },
      externalPath,
    );
    const done = await cluster.waitForStatus(second, ['FINISHED', 'FAILED', 'CANCELED'], 180_000);
    expect(done.status).toBe('FINISHED');
    expect(committed(output)).toEqual(expectedWindows());
  },
  240_000,
);
