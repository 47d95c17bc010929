import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { JobFailedError } from '../../../runtime/errors';
import { REPO_ROOT, fixtureJob, runEmbedded } from '../../helpers/embedded';

describe('failures, embedded', () => {
  it('fails the job with the operator name and the original error', async () => {
    const failure = runEmbedded(fixtureJob('failing-job'), { failAt: '500' }, { parallelism: 2 });
    await expect(failure).rejects.toBeInstanceOf(JobFailedError);
    await expect(failure).rejects.toThrow(/operator 'explode' threw: boom at 500/);
    const err = (await failure.catch((e: unknown) => e)) as Error;
    expect((err.cause as { operatorName?: string }).operatorName).toBe('explode');
  });

  it('exits non-zero from the CLI, names the operator, and leaves no thread running', () => {
    const started = Date.now();
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'sluice.js'), 'run', fixtureJob('failing-job'), '-p', '2'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    // A hung task thread would keep the process alive until the timeout kills it (status null).
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/task '.*explode.*' failed: operator 'explode' threw: boom at 500/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('refuses to run when a task rebuilds a different graph', async () => {
    await expect(runEmbedded(fixtureJob('nondeterministic-job'))).rejects.toThrow(/different graph in the task/);
  });

  it('names a missing job module', () => {
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'sluice.js'), 'run', 'no-such-job.ts'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('job module not found: no-such-job.ts');
  });
});
