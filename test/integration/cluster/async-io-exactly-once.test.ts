/**
 * Async I/O under failure (issue 11): the async-io job (`mapAsync` against a local HTTP
 * service with random latency, the two-phase-commit file sink, checkpoints every 250 ms) on a
 * real cluster of 2 TaskManager processes at parallelism 4, while a TaskManager is killed with
 * SIGKILL. Calls are always in flight when a checkpoint is taken; records in flight are part
 * of the checkpoint and called again after the restore, so the committed output (`part-*`)
 * must hold every number exactly once with its square: a record in flight at the restored
 * checkpoint that was not re-issued would be missing, a result emitted before the barrier and
 * re-issued too would be there twice.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../runtime/util/wait';
import type { AsyncService } from '../../helpers/async-service';
import { square, startAsyncService } from '../../helpers/async-service';
import { TestCluster } from '../../helpers/cluster';
import { fixtureJob } from '../../helpers/embedded';

const RECORDS = 24_000;

function committedLines(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('part-'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    );
}

describe('mapAsync exactly-once under kill -9', () => {
  let cluster: TestCluster;
  let service: AsyncService;
  let output: string;

  beforeAll(async () => {
    cluster = await TestCluster.start({ 'slot.request.timeout': 20_000, 'heartbeat.timeout': 15_000 });
    service = await startAsyncService({ latencyMs: [5, 40] });
    output = mkdtempSync(join(tmpdir(), 'sluice-async-eo-'));
  });

  afterAll(async () => {
    await cluster?.stop();
    await service?.close();
    rmSync(output, { recursive: true, force: true });
  });

  test('every number committed exactly once with its square after a TaskManager crash', async () => {
    await cluster.startTaskManager(4);
    await cluster.startTaskManager(4);
    const jobId = await cluster.submit(
      fixtureJob('async-io-job'),
      {
        url: service.url,
        records: String(RECORDS),
        // Each source subtask takes at least 18 s (6 000 records, 3 ms apart): still running at the crash.
        paceEvery: '1',
        pauseMs: '3',
        interval: '250',
        output,
      },
      { parallelism: 4 },
    );
    const job = await cluster.waitForAllTasksRunning(jobId, 60_000);
    const completed = async (): Promise<number> =>
      (await cluster.jobManager.dispatcher.checkpointStats(jobId)).counts.completed;
    await waitFor(async () => (await completed()) >= 2, { timeoutMs: 30_000, what: 'two checkpoints' });
    const callsBeforeCrash = service.total();
    expect(callsBeforeCrash).toBeGreaterThan(0);
    await cluster.taskManagerRunning(job).kill('SIGKILL');
    await waitFor(async () => (await cluster.job(jobId)).restarts >= 1, {
      timeoutMs: 15_000,
      what: 'a restart',
    });
    await cluster.startTaskManager(4);

    const done = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 180_000);
    expect(done.status).toBe('FINISHED');
    const stats = await cluster.jobManager.dispatcher.checkpointStats(jobId);
    expect(stats.counts.restored).toBeGreaterThanOrEqual(1);

    const seen = new Map<number, number>();
    for (const line of committedLines(output)) {
      const [, v, sq] = line.split(' ').map(Number) as [number, number, number];
      if (seen.has(v)) throw new Error(`${v} was committed twice`);
      expect([v, sq]).toEqual([v, square(v)]);
      seen.set(v, sq);
    }
    const missing = Array.from({ length: RECORDS }, (_, v) => v).filter((v) => !seen.has(v));
    expect(missing).toEqual([]);
    expect(seen.size).toBe(RECORDS);
    // The crash replayed work: some numbers were called more than once, yet committed once.
    expect([...service.requests.values()].some((n) => n > 1)).toBe(true);
  }, 300_000);
});
