/**
 * Input selection with exactly-once (issue 11 item 6) on a real cluster: functions/hash-join
 * reads its build side (customers, slow) to the end before its probe side (orders), with
 * checkpoints every 200 ms, while a TaskManager is killed with SIGKILL after a checkpoint
 * completed. The committed output must be the exact inner join, each order once, with each
 * customer's ordinals exactly 1..n.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from '../../helpers/cluster';
import { functionJob } from '../../helpers/embedded';
import { committedLines, expectedHashJoin, splitOrdinals } from '../../helpers/hash-join-output';

const CUSTOMERS = 6000;
const ORDERS = 20_000;

describe('hash join with input selection under kill -9', () => {
  let cluster: TestCluster;
  let output: string;

  beforeAll(async () => {
    cluster = await TestCluster.start({ 'slot.request.timeout': 20_000, 'heartbeat.timeout': 15_000 });
    output = mkdtempSync(join(tmpdir(), 'sluice-hash-join-'));
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(output, { recursive: true, force: true });
  });

  test('the committed output is the exact join, each order once, after a TaskManager crash', async () => {
    await cluster.startTaskManager(2);
    await cluster.startTaskManager(2);
    const jobId = await cluster.submit(
      functionJob('hash-join'),
      {
        customers: String(CUSTOMERS),
        orders: String(ORDERS),
        // 3000 customers per subtask, 1 ms apart: the build side is read for 3 s or more, while
        // the probe side's records (1 ms apart too, 10 s) wait in the operator's state.
        buildPauseMs: '1',
        probePauseMs: '1',
        interval: '200',
        output,
      },
      { parallelism: 2 },
    );
    const job = await cluster.waitForAllRunning(jobId);
    await cluster.waitForNextCheckpoint(jobId);
    await cluster.crashTaskManager(job, 2);
    const done = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 180_000);
    expect(done.status).toBe('FINISHED');
    expect(
      (await cluster.jobManager.dispatcher.checkpointStats(jobId)).counts.restored,
    ).toBeGreaterThanOrEqual(1);
    const lines = committedLines(output);
    const { rows, ordinalsExact } = splitOrdinals(lines);
    expect(rows.length).toBe(lines.length);
    expect(rows).toEqual(expectedHashJoin(CUSTOMERS, ORDERS));
    expect(ordinalsExact).toBe(true);
  }, 240_000);
});
