/**
 * Issue 7: a task stuck in a call that never returns must not survive cancel with its slot
 * handed to the next job. A task in a synchronous JavaScript loop is terminated after
 * `task.cancellation.interval`, and its slot is free only once the thread is gone; a task stuck
 * in native code (recursive `mkdirSync` under /proc) cannot be terminated, keeps its slot, and
 * the TaskManager exits after `task.cancellation.timeout` (Flink's watchdog), which frees its
 * CPU. Task threads do not see the cluster secret. Real Redis, S3 emulator, TaskManager processes.
 */
import { join } from 'node:path';
import { envNameForKey } from '../../../runtime/config';
import type { TaskManagerInfo } from '../../../runtime/jobmanager/gateway';
import { waitFor } from '../../../runtime/util/wait';
import { TestCluster } from '../../helpers/cluster';
import { REPO_ROOT } from '../../helpers/embedded';

jest.setTimeout(90_000);

const SPINNING_JOB = join(REPO_ROOT, 'test/fixtures/jobs/spinning-job.ts');
const ENV_JOB = join(REPO_ROOT, 'test/fixtures/jobs/print-env-job.ts');

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start();
});

afterAll(async () => {
  await cluster?.stop();
});

async function slotOf(taskManagerId: string): Promise<TaskManagerInfo['slots'][number] | undefined> {
  const tms = await cluster.jobManager.dispatcher.listTaskManagers();
  return tms.find((t) => t.id === taskManagerId)?.slots[0];
}

function cancellationEnv(intervalMs: number, timeoutMs: number): Record<string, string> {
  return {
    [envNameForKey('task.cancellation.interval')]: String(intervalMs),
    [envNameForKey('task.cancellation.timeout')]: String(timeoutMs),
  };
}

test('a task in a synchronous loop is terminated after the grace; its slot is free only once the thread is gone', async () => {
  const tm = await cluster.startTaskManager(1, cancellationEnv(1_500, 60_000));
  const jobId = await cluster.submit(SPINNING_JOB, { mode: 'js' });
  await cluster.waitForAllTasksRunning(jobId);
  expect((await slotOf(tm.id))?.jobId).toBe(jobId);

  const canceledAt = Date.now();
  await cluster.jobManager.dispatcher.cancelJob(jobId);
  // Within the grace the thread still spins: the slot is not offered to anyone.
  expect((await slotOf(tm.id))?.jobId).toBe(jobId);
  await waitFor(async () => (await slotOf(tm.id))?.jobId === undefined, {
    timeoutMs: 20_000,
    what: 'the slot to be freed',
  });
  expect(Date.now() - canceledAt).toBeGreaterThanOrEqual(1_400);
  expect((await cluster.waitForStatus(jobId, ['CANCELED'])).status).toBe('CANCELED');

  // The TaskManager is whole again: the freed slot runs the next job to the end.
  const next = await cluster.submit(ENV_JOB);
  expect((await cluster.waitForStatus(next, ['FINISHED', 'FAILED'])).status).toBe('FINISHED');
  await tm.kill('SIGTERM');
});

test('a task stuck in native code keeps its slot; the TaskManager exits after task.cancellation.timeout', async () => {
  const tm = await cluster.startTaskManager(1, cancellationEnv(300, 1_500));
  const jobId = await cluster.submit(SPINNING_JOB, { mode: 'native' });
  await cluster.waitForAllTasksRunning(jobId);
  const exited = new Promise<string>((resolve) =>
    tm.child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)),
  );

  await cluster.jobManager.dispatcher.cancelJob(jobId);
  // Past the grace the thread was terminated, but a native call ignores that: the slot stays taken.
  await waitFor(async () => (await cluster.job(jobId)).status === 'CANCELLING', { what: 'CANCELLING' });
  const afterGrace = Date.now() + 800;
  await waitFor(async () => Date.now() >= afterGrace, { what: 'the grace to pass' });
  if (tm.child.exitCode === null) expect((await slotOf(tm.id))?.jobId).toBe(jobId);

  // The watchdog ends the process, the only way to stop a native spin; its CPU comes back.
  // (process.exit() would wait for the stuck thread, so the TaskManager kills itself.)
  expect(await exited).toBe('SIGKILL');
  await waitFor(async () => (await slotOf(tm.id)) === undefined, { what: 'the TaskManager to be gone' });
  expect((await cluster.waitForStatus(jobId, ['CANCELED'])).status).toBe('CANCELED');
});

test('job code does not see the cluster secret or other credentials in process.env', async () => {
  await cluster.startTaskManager(1, {
    AWS_SECRET_ACCESS_KEY: 'aws-secret-for-test',
    SOME_SETTING: 'visible',
  });
  const jobId = await cluster.submit(ENV_JOB);
  expect((await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED'])).status).toBe('FINISHED');
  const { lines } = await cluster.output(jobId);
  expect(lines).toEqual([
    'SLUICE_REST_TOKEN=undefined',
    'AWS_SECRET_ACCESS_KEY=undefined',
    'SOME_SETTING=visible',
  ]);
  expect(lines.join('\n')).not.toContain(cluster.config['rest.token']!);
});
