/**
 * Sluice as users get it: `npm pack` (which builds dist/), a new empty project,
 * `npm install <tgz>`, a job that imports from 'sluice', then `npx sluice run job.ts`
 * embedded and against a cluster whose job manager and TaskManager are the installed
 * package's own `sluice jobmanager` / `sluice taskmanager`.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../runtime/util/wait';
import { REPO_ROOT } from '../helpers/embedded';
import { freePort } from '../helpers/free-port';

// Packing builds dist/ (tsc) and installing copies ~600 packages from the npm cache: minutes on a busy machine.
jest.setTimeout(300_000);

let dir: string;
let project: string;
/** What `npm install` printed on stderr (its warnings). */
let installWarnings: string;

/** The environment without the developer's Sluice settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_LOG_LEVEL: 'warn' };
  for (const name of Object.keys(env))
    if (name.startsWith('SLUICE_') && name !== 'SLUICE_LOG_LEVEL') delete env[name];
  return env;
}

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: project, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const JOB = `import { defineJob } from 'sluice';

export default defineJob('installed-word-count', (env, args) => {
  env
    .fromCollection((args.text ?? 'to be or not to be').split(' '))
    .map((word): [string, number] => [word, 1])
    .keyBy(([word]) => word)
    .sum(1)
    .map(([word, count]) => \`\${word} \${count}\`)
    .print();
});
`;
const EXPECTED = ['be 1', 'be 2', 'not 1', 'or 1', 'to 1', 'to 2'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-package-'));
  execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: REPO_ROOT, stdio: 'ignore' });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  project = join(dir, 'project');
  execFileSync('mkdir', [project]);
  writeFileSync(
    join(project, 'package.json'),
    '{ "name": "my-jobs", "version": "1.0.0", "private": true }\n',
  );
  // The dependencies are in the npm cache after `npm ci`; the registry is asked only for what is not.
  const install = spawnSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tgz)],
    { cwd: project, encoding: 'utf8' },
  );
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
  installWarnings = install.stderr;
  writeFileSync(join(project, 'job.ts'), JOB);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('installs without engine warnings on the Node it supports (README: light-my-request)', () => {
  expect(installWarnings).not.toContain('EBADENGINE');
});

test('npx sluice run job.ts runs a job importing from the installed package, embedded', async () => {
  const result = await run('npx', ['sluice', 'run', 'job.ts']);
  expect(result.stderr).toMatch(/job 'installed-word-count' \([0-9a-f]{32}\) finished/);
  expect(result.code).toBe(0);
  expect(result.stdout.trim().split('\n').sort()).toEqual(EXPECTED);
});

test('the installed CLI type-checks the job with the project’s view of the package types', async () => {
  writeFileSync(
    join(project, 'bad.ts'),
    "import { defineJob } from 'sluice';\nexport default defineJob('bad', (env) => env.fromSequence(1, 3).map((n) => n.trim()).print());\n",
  );
  const result = await run('npx', ['sluice', 'run', 'bad.ts']);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(
    /bad\.ts:2:\d+ - error TS2339: Property 'trim' does not exist on type 'number'/,
  );
});

describe('against a cluster of the installed package', () => {
  const token = randomBytes(16).toString('hex');
  const children: ChildProcess[] = [];
  let restUrl: string;

  function service(role: 'jobmanager' | 'taskmanager', defines: string[]): void {
    const bin = join(project, 'node_modules', 'sluice', 'bin', 'sluice.js');
    const args = [bin, role, ...[`rest.token=${token}`, ...defines].flatMap((d) => ['-D', d])];
    const child = spawn(process.execPath, args, { cwd: project, env: cleanEnv(), stdio: 'ignore' });
    children.push(child);
  }

  beforeAll(async () => {
    const [restPort, rpcPort] = [await freePort(), await freePort()];
    restUrl = `http://127.0.0.1:${restPort}`;
    const storage = `storage.fs.dir=${join(dir, 'storage')}`;
    service('jobmanager', [`rest.port=${restPort}`, `jobmanager.rpc.port=${rpcPort}`, storage]);
    service('taskmanager', [`jobmanager.rpc.port=${rpcPort}`, 'taskmanager.numberOfTaskSlots=2', storage]);
    await waitFor(
      async () => {
        const res = await fetch(`${restUrl}/overview`, {
          headers: { authorization: `Bearer ${token}` },
        }).catch(() => undefined);
        return res?.ok === true && ((await res.json()) as { slotsTotal?: number }).slotsTotal === 2;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)),
    );
  });

  test('npx sluice run job.ts --rest-url … bundles, submits and prints the job’s output', async () => {
    const result = await run('npx', [
      'sluice',
      'run',
      'job.ts',
      '-p',
      '2',
      '--rest-url',
      restUrl,
      '--token',
      token,
    ]);
    expect(result.stderr).toMatch(/FINISHED/);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').sort()).toEqual(EXPECTED);
  });
});
