import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, withOverrides } from '../../../runtime/config';
import { JobCanceledError, JobFailedError } from '../../../runtime/errors';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

/** OS threads of this process (Linux): every task thread is one. */
const threadCount = (): number => readdirSync('/proc/self/task').length;

describe('restarts and cancel, embedded (the real job master)', () => {
  let markerDir: string;
  beforeEach(() => (markerDir = mkdtempSync(join(tmpdir(), 'sluice-fail-once-'))));
  afterEach(() => rmSync(markerDir, { recursive: true, force: true }));

  it('restarts a failed job by the restart strategy and finishes with the last attempt only', async () => {
    const restarts: number[] = [];
    const { result } = await runEmbedded(
      fixtureJob('fail-once-job'),
      { markerDir, count: '1000', failAt: '300' },
      { parallelism: 2 },
      { onOutputRestart: (attempt) => restarts.push(attempt) },
    );
    expect(existsSync(join(markerDir, 'failed'))).toBe(true);
    expect(result.restarts).toBe(1);
    expect(restarts).toEqual([1]);
    // Why it restarted: the failed attempt, with the operator that threw.
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({
      attempt: 0,
      message: expect.stringContaining('failing once at 300'),
    });
    // Every record exactly once: the failed attempt's results were dropped.
    const expected = Array.from({ length: 1000 }, (_, i) => 2 * (i + 1));
    expect([...(result.results as number[])].sort((a, b) => a - b)).toEqual(expected);
    const doubled = Object.entries(result.tasks).filter(([name]) => name.startsWith('double'));
    expect(doubled).toHaveLength(2);
    expect(doubled.reduce((n, [, m]) => n + m.recordsIn, 0)).toBe(1000);
  });

  it('fails once the configured strategy has no restart left, naming the operator', async () => {
    const config = withOverrides(defaultConfig(), {
      'restart-strategy.fixed-delay.attempts': 2,
      'restart-strategy.fixed-delay.delay': 0,
    });
    const restarts: number[] = [];
    const run = runEmbedded(
      fixtureJob('failing-job'),
      { failAt: '500' },
      { parallelism: 2 },
      {
        config,
        onOutputRestart: (attempt) => restarts.push(attempt),
      },
    );
    await expect(run).rejects.toThrow(JobFailedError);
    await expect(run).rejects.toThrow(/task '.*explode.*' failed: operator 'explode' threw: boom at 500/);
    expect(restarts).toEqual([1, 2]);
  });

  it('does not restart with restart-strategy.type none', async () => {
    const config = withOverrides(defaultConfig(), { 'restart-strategy.type': 'none' });
    const restarts: number[] = [];
    const run = runEmbedded(
      fixtureJob('fail-once-job'),
      { markerDir },
      { parallelism: 2 },
      {
        config,
        onOutputRestart: (attempt) => restarts.push(attempt),
      },
    );
    await expect(run).rejects.toThrow(/operator 'fail-once' threw: failing once at 300/);
    expect(restarts).toEqual([]);
  });

  it('does not restart a task that rebuilds a different graph: no attempt can succeed', async () => {
    const restarts: number[] = [];
    const run = runEmbedded(
      fixtureJob('nondeterministic-job'),
      {},
      {},
      {
        onOutputRestart: (attempt) => restarts.push(attempt),
      },
    );
    await expect(run).rejects.toThrow(/different graph in the task/);
    expect(restarts).toEqual([]);
  });

  it('cancels on abort: every task thread has exited when the promise rejects', async () => {
    // Warm up: a first run starts whatever threads the process keeps (thread pool, compilers).
    await runEmbedded(fixtureJob('fail-once-job'), { markerDir, count: '10', failAt: '0' });
    const baseline = threadCount();
    const { jobGraph } = prepareJob(fixtureJob('trickle-job'), {}, { parallelism: 2 });
    const tasks = jobGraph.vertices.reduce((n, v) => n + v.parallelism, 0);
    const controller = new AbortController();
    const seen: string[] = [];
    const run = runEmbedded(
      fixtureJob('trickle-job'),
      {},
      { parallelism: 2, bufferTimeoutMs: 10 },
      {
        signal: controller.signal,
        onOutput: (lines) => seen.push(...lines),
      },
    );
    await waitFor(() => seen.length >= 3, { timeoutMs: 30_000, what: 'the trickled records' });
    expect(threadCount()).toBeGreaterThanOrEqual(baseline + tasks);
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(JobCanceledError);
    expect(threadCount()).toBe(baseline);
  });
});
