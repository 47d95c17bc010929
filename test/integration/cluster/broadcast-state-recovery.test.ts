/**
 * Broadcast state is operator state in broadcast mode (issue 11 item 7): on a real cluster of
 * TaskManager processes it survives a `kill -9` of a TaskManager, and a savepoint resumed at a
 * higher parallelism gives every new subtask the whole broadcast state. The rules source has
 * moved past the rules it already sent, so rules in force for later readings exist only in the
 * restored broadcast state: a subtask without it would check its readings wrongly. The
 * expected alerts are computed in the test from the readings and rules themselves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readingAt } from '../../../functions/broadcast-rules';
import { subtaskForKey } from '../../../runtime/graph/key-groups';
import { waitFor } from '../../../runtime/util/wait';
import { expectedRuleOutput } from '../../helpers/broadcast-rules-reference';
import { TestCluster } from '../../helpers/cluster';
import { functionJob } from '../../helpers/embedded';
import { committedLines } from '../../helpers/window-output';

const READINGS = 12_000;
const SENSORS = 13;
const expected = expectedRuleOutput(READINGS, SENSORS).alerts;

let cluster: TestCluster;
const base = mkdtempSync(join(tmpdir(), 'sluice-broadcast-recovery-'));

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
  readings: String(READINGS),
  sensors: String(SENSORS),
  // Each source subtask runs for seconds, so the crash and the savepoint find rules and readings in flight.
  paceEvery: '1',
  pauseMs: '2',
  interval: '200',
  output,
  stateBackend,
});

test.each(['heap', 'kv'])(
  'broadcast state and waiting readings survive kill -9 of a TaskManager, output exactly once (%s)',
  async (backend) => {
    const output = join(base, `killed-${backend}`);
    const jobId = await cluster.submit(functionJob('broadcast-rules'), args(output, backend), {
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
    expect(committedLines(output)).toEqual(expected);
  },
  240_000,
);

test('a savepoint resumed from parallelism 2 at 3 gives every subtask the whole broadcast state', async () => {
  // Every one of the 3 new subtasks checks some sensors, so each one's broadcast state is used.
  const owners = new Set(
    Array.from({ length: SENSORS }, (_, n) => subtaskForKey(readingAt(n, SENSORS).sensor, 3, 128)),
  );
  expect([...owners].sort()).toEqual([0, 1, 2]);
  const output = join(base, 'rescaled');
  const first = await cluster.submit(functionJob('broadcast-rules'), args(output, 'heap'), {
    parallelism: 2,
  });
  await waitFor(async () => (await cluster.job(first)).status === 'RUNNING', { what: 'the first run' });
  await cluster.waitForNextCheckpoint(first);
  const dir = await cluster.jobManager.dispatcher.savepointDirFor(first, undefined);
  const { externalPath } = await cluster.jobManager.dispatcher.triggerSavepoint(first, dir, true);
  await cluster.waitForStatus(first, ['CANCELED', 'FAILED', 'FINISHED']);
  expect((await cluster.job(first)).status).toBe('CANCELED');
  expect(committedLines(output).length).toBeLessThan(expected.length);

  // Resumed on the kv backend: broadcast state is operator state, the same for both.
  const second = await cluster.submit(
    functionJob('broadcast-rules'),
    args(output, 'kv'),
    { parallelism: 3 },
    externalPath,
  );
  const done = await cluster.waitForStatus(second, ['FINISHED', 'FAILED', 'CANCELED'], 180_000);
  expect(done.status).toBe('FINISHED');
  expect(committedLines(output)).toEqual(expected);
}, 240_000);
