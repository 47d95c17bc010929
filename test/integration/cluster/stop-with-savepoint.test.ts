/**
 * Stop-with-savepoint on a real cluster (issue 9; Flink's `POST /jobs/:id/stop`): TaskManager
 * processes, Redis, the S3 emulator. WITHOUT drain the job is suspended: the sources read
 * nothing after the savepoint's barrier, no task ends its operators' input or event time, the
 * sinks commit exactly what the savepoint covers and the job FINISHES; resumed from the
 * savepoint (at another parallelism), every event-time window and every keyed count is
 * committed exactly once across both runs. WITH drain, event time ends at the stop: the open
 * windows fire then, and the resumed job fires the rest of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../runtime/util/wait';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';
import { checkCountsContinue } from '../../helpers/savepoint-output';
import { checkSplitWindows, committedLines, expectedWindows } from '../../helpers/window-output';

const WINDOW_RECORDS = 8_000;
const WINDOW_KEYS = 13;
const COUNT_RECORDS = 12_000;
const COUNT_KEYS = 37;

let cluster: TestCluster;
const base = mkdtempSync(join(tmpdir(), 'sluice-stop-savepoint-'));

beforeAll(async () => {
  cluster = await TestCluster.withTaskManagers([4, 4], { 'slot.request.timeout': 20_000 });
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(base, { recursive: true, force: true });
});

const windowArgs = (output: string): Record<string, string> => ({
  records: String(WINDOW_RECORDS),
  keys: String(WINDOW_KEYS),
  // Each source subtask runs for seconds, so the stop finds windows open.
  paceEvery: '1',
  pauseMs: '2',
  interval: '250',
  output,
});

/** Stops the job once a checkpoint completed (windows and counts are open then); returns the savepoint. */
async function stopMidRun(jobId: string, drain: boolean): Promise<string> {
  await cluster.waitForAllRunning(jobId);
  await cluster.waitForNextCheckpoint(jobId);
  const { dispatcher } = cluster.jobManager;
  const dir = await dispatcher.savepointDirFor(jobId, undefined);
  const { externalPath } = await dispatcher.stopWithSavepoint(jobId, dir, drain);
  expect((await cluster.job(jobId)).status).toBe('FINISHED');
  return externalPath;
}

test.each([
  [false, 2, 3],
  [true, 3, 2],
])(
  'window job, drain=%s, parallelism %i then %i: every event lands in its window once across both runs',
  async (drain, from, to) => {
    const output = join(base, `windows-${drain ? 'drain' : 'no-drain'}`);
    const job = fixtureJob('window-count-job');
    const first = await cluster.submit(job, windowArgs(output), { parallelism: from });
    const savepoint = await stopMidRun(first, drain);
    const expected = expectedWindows(WINDOW_RECORDS, WINDOW_KEYS);
    expect(committedLines(output).length).toBeLessThan(expected.length);

    const second = await cluster.submit(job, windowArgs(output), { parallelism: to }, savepoint);
    const done = await cluster.waitForStatus(second, ['FINISHED', 'FAILED', 'CANCELED'], 180_000);
    expect(done.status).toBe('FINISHED');
    if (!drain) expect(committedLines(output)).toEqual(expected);
    // With drain the windows open at the stop fired early (event time ended), the rest after the resume.
    else
      expect(checkSplitWindows(committedLines(output), WINDOW_RECORDS, WINDOW_KEYS).length).toBeGreaterThan(
        0,
      );
  },
  240_000,
);

test('keyed counting job, no drain, parallelism 2 then 4: the counts continue exactly', async () => {
  const output = join(base, 'counts');
  const job = fixtureJob('savepoint-count-job');
  const args = {
    records: String(COUNT_RECORDS),
    keys: String(COUNT_KEYS),
    paceEvery: '2',
    interval: '300',
    output,
  };
  const first = await cluster.submit(job, args, { parallelism: 2 });
  await waitFor(async () => (await cluster.job(first)).status === 'RUNNING', { what: 'the first run' });
  const savepoint = await stopMidRun(first, false);
  expect(committedLines(output).length).toBeGreaterThan(0);
  expect(committedLines(output).length).toBeLessThan(COUNT_RECORDS);
  const second = await cluster.submit(job, args, { parallelism: 4 }, savepoint);
  const done = await cluster.waitForStatus(second, ['FINISHED', 'FAILED', 'CANCELED'], 180_000);
  expect(done.status).toBe('FINISHED');
  expect(checkCountsContinue(output, COUNT_RECORDS, COUNT_KEYS)).toBe(COUNT_RECORDS);
}, 240_000);
