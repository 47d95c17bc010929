import { spawn, spawnSync } from 'node:child_process';
import { waitFor } from '../../../runtime/util/wait';
import { join } from 'node:path';
import { JobFailedError } from '../../../runtime/errors';
import { readFileSync } from 'node:fs';
import { REPO_ROOT, fixtureJob, runEmbedded } from '../../helpers/embedded';

/** The line of failing-job.ts that throws, read from the fixture itself. */
const THROWING_LINE =
  readFileSync(fixtureJob('failing-job'), 'utf8')
    .split('\n')
    .findIndex((line) => line.includes('throw new Error(`boom')) + 1;

describe('failures, embedded', () => {
  it('fails the job with the operator name and the original error', async () => {
    const failure = runEmbedded(fixtureJob('failing-job'), { failAt: '500' }, { parallelism: 2 });
    await expect(failure).rejects.toBeInstanceOf(JobFailedError);
    await expect(failure).rejects.toThrow(/operator 'explode' threw: boom at 500/);
    const err = (await failure.catch((e: unknown) => e)) as Error;
    expect((err.cause as { operatorName?: string }).operatorName).toBe('explode');
  });

  it("places the failure in the job's TypeScript file and line, without Sluice's frames", async () => {
    const err = (await runEmbedded(fixtureJob('failing-job'), { failAt: '3' }).catch(
      (e: unknown) => e,
    )) as JobFailedError;
    expect(err).toBeInstanceOf(JobFailedError);
    const lines = err.jobStack!.split('\n');
    expect(lines[0]).toBe('Error: boom at 3');
    expect(lines[1]).toMatch(
      new RegExp(`^    at .*\\(test/fixtures/jobs/failing-job\\.ts:${THROWING_LINE}:\\d+\\)$`),
    );
    expect(err.jobStack).not.toMatch(/runtime\/|node_modules|node:/);
  });

  it('exits non-zero from the CLI, names the operator, and leaves no thread running', () => {
    const started = Date.now();
    const run = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'sluice.js'), 'run', fixtureJob('failing-job'), '-p', '2'],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    // A hung task thread would keep the process alive until the timeout kills it (status null).
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/task '.*explode.*' failed: operator 'explode' threw: boom at 500/);
    expect(run.stderr).toContain(`test/fixtures/jobs/failing-job.ts:${THROWING_LINE}:`);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('cancels an embedded job on Ctrl-C: its threads stop and the command exits non-zero', async () => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'sluice.js'), 'run', fixtureJob('trickle-job')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => stdout.includes('RECORD-2'), {
      // The CLI type-checks and bundles the job first: 20 s was not enough on a loaded CI machine.
      timeoutMs: 60_000,
      what: 'the unbounded job to print',
    });
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toContain("job 'trickle' was canceled");
  });

  it('refuses to run when a task rebuilds a different graph', async () => {
    await expect(runEmbedded(fixtureJob('nondeterministic-job'))).rejects.toThrow(
      /different graph in the task/,
    );
  });

  it('names a missing job module', () => {
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'sluice.js'), 'run', 'no-such-job.ts'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('job module not found: no-such-job.ts');
  });
});
