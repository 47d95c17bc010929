import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleJob } from '../../../runtime/client/bundle-job';
import { runCli } from '../../helpers/cli-runner';
import { REPO_ROOT, fixtureJob, functionJob } from '../../helpers/embedded';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sluice-run-cli-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a job with a type error does not run; --skip-type-check runs it anyway', async () => {
  const job = join(dir, 'typo.ts');
  writeFileSync(
    job,
    `import { defineJob } from ${JSON.stringify(join(REPO_ROOT, 'runtime', 'api'))};\n` +
      `export default defineJob('typo', (env) => env.fromSequence(1, 2).map((n) => n.toFixed(0)).prnt());\n`,
  );
  const checked = await runCli(['run', job, '--target', 'embedded']);
  expect(checked.code).toBe(1);
  expect(checked.stdout).toBe('');
  expect(checked.stderr).toMatch(/typo\.ts:2:\d+ - error TS2551: Property 'prnt' does not exist/);

  const skipped = await runCli(['run', job, '--target', 'embedded', '--skip-type-check']);
  // It runs, and fails at run time as the type check said it would.
  expect(skipped.code).toBe(1);
  expect(skipped.stderr).toMatch(/prnt is not a function/);
}, 120_000);

test("a job in this repository may import from 'sluice', as the README's examples do", async () => {
  const run = await runCli(['run', fixtureJob('package-import-job'), '--target', 'embedded']);
  expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.stdout.trim().split('\n').map(Number)).toEqual([1, 4, 9, 16, 25]);
  // From the sources (tsconfig.json paths), never a dist/ that `npm pack` may have left behind.
  const text = Buffer.from((await bundleJob(fixtureJob('package-import-job'))).code).toString('utf8');
  // esbuild heads each module's code with its path.
  const modules = text.split('\n').filter((line) => /^\/\/ \S+\.[jt]s$/.test(line));
  expect(modules).toContain('// runtime/api/job.ts');
  expect(modules.filter((m) => m.startsWith('// dist/'))).toEqual([]);
});

test('-D and --config set job-level config; flags win; a cluster key is refused by name', async () => {
  const config = join(dir, 'job.yaml');
  writeFileSync(
    config,
    'pipeline:\n  max-parallelism: 32\n  operator-chaining: false\nparallelism.default: 2\n',
  );
  const run = await runCli([
    'run',
    fixtureJob('settings-job'),
    '--target',
    'embedded',
    '--skip-type-check',
    '--config',
    config,
    '-D',
    'parallelism.default=3',
    '-D',
    'execution.buffer-timeout=5 ms',
    '--max-parallelism',
    '64',
  ]);
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout.trim())).toMatchObject({
    parallelism: 3,
    maxParallelism: 64,
    chaining: false,
    bufferTimeoutMs: 5,
  });
  expect(run.stderr).toMatch(/job 'settings' \([0-9a-f]{32}\) finished/);

  const refused = await runCli([
    'run',
    fixtureJob('settings-job'),
    '--target',
    'embedded',
    '-D',
    'rest.port=1',
  ]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/rest\.port \(-D\): a cluster setting, not one a job can set/);
});

test('a missing input file fails the job with its absolute path and the TaskManager (embedded)', async () => {
  const run = await runCli([
    'run',
    functionJob('word-count'),
    '--target',
    'embedded',
    '--skip-type-check',
    '--arg',
    'input=./no-such-file.txt',
  ]);
  expect(run.code).toBe(1);
  // Embedded runs name the MiniCluster's in-process TaskManager.
  expect(run.stderr).toContain(
    `cannot read ${join(process.cwd(), 'no-such-file.txt')} on TaskManager minicluster-tm-0`,
  );
});

test('npm run demo -- --help prints the usage and starts nothing', () => {
  const demo = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'local', 'demo.ts'), '--help'],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  expect(demo.status).toBe(0);
  expect(demo.stdout).toMatch(/^Usage: npm run demo \[-- --embedded\]/);
  expect(demo.stdout).toContain('--embedded');
  expect(demo.stdout).not.toContain('starting a local cluster');
  const bad = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'local', 'demo.ts'), '--nope'],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain("Unknown option '--nope'");
});
