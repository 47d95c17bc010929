/**
 * Exactly-once under failure (issue 8): the exactly-once-count job (two sources unioned, keyed
 * ValueState counts, a keyed two-input operator, the two-phase-commit file sink) on a real
 * cluster of 2 TaskManager processes at parallelism 4, while a TaskManager is killed with
 * SIGKILL twice. The committed output (`part-*` only) must hold every (key, seq) exactly once,
 * and per key both counts must be exactly 1..n: a record replayed without its state restored
 * repeats a count, a lost state restarts one, a duplicate commit repeats a line.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';
import { waitFor } from '../../../runtime/util/wait';

const RECORDS = 60_000; // per source
const KEYS = 97;

/** Checks the committed output; returns how many lines it held. */
function checkExactlyOnce(dir: string, perSource: number, keys: number): number {
  const files = readdirSync(dir).filter((f) => f.startsWith('part-'));
  const lines = files.flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0),
  );
  const seen = new Set<string>();
  const counts = new Map<number, number[]>();
  const coCounts = new Map<number, number[]>();
  for (const line of lines) {
    const [key, seq, count, coCount] = line.split(' ').map(Number) as [number, number, number, number];
    const id = `${key}/${seq}`;
    if (seen.has(id)) throw new Error(`(key ${key}, seq ${seq}) was committed twice`);
    seen.add(id);
    (counts.get(key) ?? counts.set(key, []).get(key)!).push(count);
    (coCounts.get(key) ?? coCounts.set(key, []).get(key)!).push(coCount);
  }
  for (let key = 0; key < keys; key++) {
    const perKey = 2 * (Math.floor(perSource / keys) + (key < perSource % keys ? 1 : 0));
    const expected = Array.from({ length: perKey }, (_, i) => i + 1);
    const asc = (xs: number[] | undefined) => (xs ?? []).slice().sort((a, b) => a - b);
    if (JSON.stringify(asc(counts.get(key))) !== JSON.stringify(expected))
      throw new Error(`key ${key}: counts are not exactly 1..${perKey}`);
    if (JSON.stringify(asc(coCounts.get(key))) !== JSON.stringify(expected))
      throw new Error(`key ${key}: co-operator counts are not exactly 1..${perKey}`);
  }
  return lines.length;
}

describe.each([
  ['heap', 'tcp'],
  ['kv', 'sqs'],
] as const)('exactly-once under kill -9 (%s backend, %s exchange)', (stateBackend, exchange) => {
  let cluster: TestCluster;
  let output: string;

  beforeAll(async () => {
    // kill -9 closes the control connection, which the job manager notices at once; a long
    // heartbeat timeout only keeps a loaded machine's slow heartbeats from failing the job.
    cluster = await TestCluster.start({ 'slot.request.timeout': 20_000, 'heartbeat.timeout': 15_000 });
    output = mkdtempSync(join(tmpdir(), 'sluice-eo-'));
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(output, { recursive: true, force: true });
  });

  test('every (key, seq) committed exactly once, counts exactly 1..n, after two TaskManager crashes', async () => {
    await cluster.startTaskManager(4);
    await cluster.startTaskManager(4);
    const jobId = await cluster.submit(
      fixtureJob('exactly-once-count-job'),
      {
        records: String(RECORDS),
        keys: String(KEYS),
        // Each source subtask takes at least 30 s (15 000 records, 2 ms apart): the job is still
        // running at the second crash however slowly a loaded machine restarts it.
        paceEvery: '1',
        pauseMs: '2',
        interval: '250',
        output,
        stateBackend,
        exchange,
      },
      { parallelism: 4 },
    );
    for (let crash = 1; crash <= 2; crash++) {
      // Running again after the last crash (a task of a source that ended may already be FINISHED).
      const job = await waitFor(
        async () => {
          const details = await cluster.job(jobId);
          const subtasks = details.vertices.flatMap((v) => v.subtasks);
          const up = subtasks.every((s) => s.state === 'RUNNING' || s.state === 'FINISHED');
          if (details.status === 'RUNNING' && details.attempt >= crash - 1 && up) return details;
          // Thrown so that a timeout names where the job was stuck.
          const states = subtasks.map((s) => `${s.state}@${s.taskManagerId ?? '-'}`).join(' ');
          throw new Error(`job ${details.status}, attempt ${details.attempt}, subtasks ${states}`);
        },
        { timeoutMs: 60_000, what: `attempt ${crash - 1} to run` },
      ).catch(async (err: Error) => {
        const history = JSON.stringify(await cluster.jobManager.dispatcher.jobExceptions(jobId));
        throw new Error(`${err.message}; exception history: ${history}`);
      });
      // Let at least one checkpoint complete in this attempt, so recovery has something to restore.
      const completedBefore = (await cluster.jobManager.dispatcher.checkpointStats(jobId)).counts.completed;
      await waitFor(
        async () =>
          (await cluster.jobManager.dispatcher.checkpointStats(jobId)).counts.completed > completedBefore,
        { timeoutMs: 30_000, what: 'a checkpoint to complete' },
      );
      await cluster.taskManagerRunning(job).kill('SIGKILL');
      await waitFor(async () => (await cluster.job(jobId)).restarts >= crash, {
        timeoutMs: 15_000,
        what: `restart ${crash}`,
      });
      await cluster.startTaskManager(4); // the crashed container comes back
    }
    const done = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 240_000);
    expect(done.status).toBe('FINISHED');
    expect(done.restarts).toBeGreaterThanOrEqual(2);
    const stats = await cluster.jobManager.dispatcher.checkpointStats(jobId);
    expect(stats.counts.restored).toBeGreaterThanOrEqual(2);
    expect(checkExactlyOnce(output, RECORDS, KEYS)).toBe(2 * RECORDS);
    // Staged or in-progress files never look like committed ones.
    expect(readdirSync(output).filter((f) => f.startsWith('part-') && f.includes('inprogress'))).toEqual([]);
  }, 300_000);
});
