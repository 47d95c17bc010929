import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleJob } from '../../../runtime/client/bundle-job';
import { UserFunctionError } from '../../../runtime/errors';
import { jobStackOf } from '../../../runtime/taskmanager/job-stack';
import { REPO_ROOT, fixtureJob } from '../../helpers/embedded';

const fixtureLine = (needle: string): number =>
  readFileSync(fixtureJob('failing-job'), 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(needle)) + 1;

/** An error whose stack points at generated positions of the bundle, as a task without source maps sees it. */
function errorAt(frames: string[]): Error {
  const err = new Error('boom at 7');
  err.stack = ['Error: boom at 7', ...frames.map((f) => `    at ${f}`)].join('\n');
  return err;
}

describe('jobStackOf', () => {
  let dir: string;
  let bundlePath: string;
  let bundleLines: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-job-stack-'));
    const bundle = await bundleJob(fixtureJob('failing-job'));
    bundlePath = join(dir, `${bundle.sha256}.js`);
    writeFileSync(bundlePath, bundle.code);
    bundleLines = Buffer.from(bundle.code).toString('utf8').split('\n');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const generated = (needle: string): string => {
    const line = bundleLines.findIndex((l) => l.includes(needle));
    return `${bundlePath}:${line + 1}:${bundleLines[line]!.indexOf(needle) + 1}`;
  };

  it("maps bundle frames to the job's .ts file and line, and drops Sluice's, node_modules' and Node's frames", () => {
    const userError = errorAt([
      `MapOperator.fn (${generated('throw new Error(`boom')})`,
      // A Sluice source bundled into the job: on the map's ignore list.
      `defineJob (${generated('function defineJob(')})`,
      `OperatorInput.collect (${join(REPO_ROOT, 'runtime', 'taskmanager', 'operator-chain.ts')}:29:23)`,
      'Module._compile (node:internal/modules/cjs/loader:1504:14)',
      'x (/srv/app/node_modules/lib/index.js:1:1)',
    ]);
    const stack = jobStackOf(new UserFunctionError('explode', 'op-1', userError), bundlePath);
    expect(stack).toBe(
      `Error: boom at 7\n    at MapOperator.fn (test/fixtures/jobs/failing-job.ts:${fixtureLine('throw new Error(`boom')}:${
        readFileSync(fixtureJob('failing-job'), 'utf8')
          .split('\n')
          [fixtureLine('throw new Error(`boom') - 1]!.indexOf('throw') + 1
      })`,
    );
  });

  it('is undefined when no frame belongs to the job', () => {
    expect(
      jobStackOf(errorAt(['node:internal/x:1:1', '/srv/app/node_modules/a/b.js:2:3']), bundlePath),
    ).toBeUndefined();
    expect(jobStackOf('not an error', bundlePath)).toBeUndefined();
  });
});
