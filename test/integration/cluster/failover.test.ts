import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, fixtureJob } from '../../helpers/embedded';
import { TestCluster } from '../../helpers/cluster';
import { waitFor } from '../../../runtime/util/wait';

/** [key, sum] results the paced-sum job must produce, computed independently. */
function expectedSums(records: number, keys: number): [number, number][] {
  const sums = new Map<number, number>();
  for (let x = 0; x < records; x++) sums.set(x % keys, (sums.get(x % keys) ?? 0) + x);
  return [...sums].sort((a, b) => a[0] - b[0]);
}

const sorted = (results: unknown[]): [number, number][] =>
  (results as [number, number][]).slice().sort((a, b) => a[0] - b[0]);

describe('cluster: failures', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ 'slot.request.timeout': 1500 });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('notices a kill -9 of a TaskManager within 2 s, restarts the job and finishes with the correct result', async () => {
    const victim = await cluster.startTaskManager(2);
    await cluster.startTaskManager(2);
    await cluster.startTaskManager(2);
    const args = { records: '400000', keys: '7', pauseEvery: '2000', pauseMs: '10' };
    const jobId = await cluster.submit(fixtureJob('paced-sum-job'), args, { parallelism: 4 });
    const target = cluster.taskManagerRunning(await cluster.waitForAllTasksRunning(jobId));
    const killedAt = Date.now();
    await target.kill('SIGKILL');
    const restarting = await waitFor(
      async () => {
        const job = await cluster.job(jobId);
        return job.restarts > 0 || job.failure ? job : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'the failure to be noticed' },
    );
    expect(restarting.failure!.message).toMatch(
      new RegExp(`TaskManager ${target.id} was lost|task .* failed`),
    );
    expect(restarting.failure!.timestamp - killedAt).toBeLessThan(2000);
    const done = await cluster.waitForStatus(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 90_000);
    expect(done.status).toBe('FINISHED');
    expect(done.restarts).toBeGreaterThanOrEqual(1);
    expect(done.vertices.flatMap((v) => v.subtasks.map((s) => s.taskManagerId))).not.toContain(target.id);
    expect(sorted((await cluster.output(jobId)).results)).toEqual(expectedSums(400_000, 7));
    expect(victim).toBeDefined();
  });

  it('notices a TaskManager that stops answering heartbeats', async () => {
    const frozen = await cluster.startTaskManager(1);
    const stoppedAt = Date.now();
    frozen.child.kill('SIGSTOP');
    try {
      await waitFor(() => !cluster.jobManager.resourceManager.isConnected(frozen.id), {
        timeoutMs: cluster.config['heartbeat.timeout'] + 10_000,
        what: 'heartbeat timeout',
      });
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(
        cluster.config['heartbeat.timeout'] - cluster.config['heartbeat.interval'],
      );
    } finally {
      frozen.child.kill('SIGCONT');
      await frozen.kill('SIGKILL');
    }
  });

  it('restarts a job whose user function throws, then fails it naming the operator; other jobs keep running', async () => {
    const bystander = await cluster.submit(fixtureJob('unbounded-job'), {}, { parallelism: 1 });
    await cluster.waitForStatus(bystander, ['RUNNING']);
    const jobId = await cluster.submit(fixtureJob('failing-job'), { failAt: '700' }, { parallelism: 2 });
    const job = await cluster.waitForStatus(jobId, ['FAILED', 'FINISHED', 'CANCELED'], 60_000);
    expect(job.status).toBe('FAILED');
    expect(job.restarts).toBe(cluster.config['restart-strategy.fixed-delay.attempts']);
    expect(job.failure!.message).toMatch(/task '.*explode.*' failed: operator 'explode' threw: boom at 700/);
    expect((await cluster.job(bystander)).status).toBe('RUNNING');
    await cluster.jobManager.dispatcher.cancelJob(bystander);
    await cluster.waitForStatus(bystander, ['CANCELED']);
  });

  it('a TaskManager that cannot reach a job manager shuts down after taskmanager.registration.timeout', async () => {
    const started = Date.now();
    // Asynchronous: the job manager of the other tests runs in this process and must keep serving heartbeats.
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'sluice.js'),
        'taskmanager',
        '-D',
        'rest.token=some-token',
        '-D',
        `jobmanager.rpc.port=${cluster.jobManager.rpcPort + 1}`,
        '-D',
        'taskmanager.registration.timeout=1500',
        '-D',
        'storage.fs.dir=.sluice/t',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, SLUICE_LOG_LEVEL: 'silent' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('no job manager reachable for 1500 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  });

  it('fails a job that cannot get enough slots with a message naming what is missing', async () => {
    const free = (await cluster.jobManager.dispatcher.listTaskManagers()).reduce(
      (n, t) => n + (t.connected ? t.slotsFree : 0),
      0,
    );
    const jobId = await cluster.submit(fixtureJob('unbounded-job'), {}, { parallelism: free + 1 });
    const job = await cluster.waitForStatus(jobId, ['FAILED', 'FINISHED', 'CANCELED'], 20_000);
    expect(job.status).toBe('FAILED');
    expect(job.failure!.message).toContain(
      `slot sharing group 'default' needs ${free + 1} slots of any profile, 1 missing`,
    );
    expect(job.failure!.message).toContain('slot.request.timeout');
    expect(job.restarts).toBe(0);
  });
});
