/**
 * bundleJob: the bundle of a real job loads with plain Node `require` (no TypeScript hook, no
 * node_modules next to it), and rebuilding the job from the bundle gives the same graph hash
 * as from the source, which is what lets a TaskManager check the submitted JobGraph.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadJobModule } from '../../../runtime/api/load-job-module';
import { bundleJob } from '../../../runtime/client/bundle-job';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { InvalidJobError } from '../../../runtime/errors';
import { functionJob } from '../../helpers/embedded';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-bundle-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles a job and writes it where no node_modules can be found. */
async function bundleToFile(name: string): Promise<{ file: string; sha256: string; code: Uint8Array }> {
  const bundle = await bundleJob(functionJob(name));
  const file = join(dir, `${name}-${bundle.sha256.slice(0, 8)}.js`);
  writeFileSync(file, bundle.code);
  return { file, ...bundle };
}

test('a bundled word-count loads with plain require in a fresh node process', async () => {
  const { file } = await bundleToFile('word-count');
  const script =
    'const m = require(process.argv[1]); const j = m.default; console.log(JSON.stringify({ kind: j.kind, name: j.name }))';
  const out = execFileSync(process.execPath, ['-e', script, file], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  expect(JSON.parse(out)).toEqual({ kind: 'sluice-job', name: 'word-count' });
});

test('loadJobModule finds the job in the bundle', async () => {
  const { file } = await bundleToFile('word-count');
  const job = loadJobModule(file);
  expect(job.kind).toBe('sluice-job');
  expect(job.name).toBe('word-count');
});

test.each([
  ['word-count', {}],
  ['word-count', { input: 'README.md' }],
  ['nexmark', { query: 'q2', events: '1000' }],
  ['enrich-orders', {}],
])('prepareJob on the bundle of %s %j yields the same graphHash as on the source', async (name, args) => {
  const { file } = await bundleToFile(name);
  const settings = { parallelism: 2 };
  const fromSource = prepareJob(functionJob(name), args, settings).jobGraph;
  const fromBundle = prepareJob(file, args, settings).jobGraph;
  expect(fromBundle.graphHash).toBe(fromSource.graphHash);
  expect(fromBundle).toEqual(fromSource);
});

test('the digest is the SHA-256 of the code, and bundling is deterministic', async () => {
  const first = await bundleJob(functionJob('word-count'));
  const second = await bundleJob(functionJob('word-count'));
  expect(first.sha256).toBe(createHash('sha256').update(first.code).digest('hex'));
  expect(second.sha256).toBe(first.sha256);
  const text = Buffer.from(first.code).toString('utf8');
  expect(text).toContain('sourceMappingURL=data:application/json;base64,');
  expect(text).not.toMatch(/require\(["']\.\.?\//);
});

test('a missing module or a syntax error is an InvalidJobError naming the file', async () => {
  await expect(bundleJob(join(dir, 'missing.ts'))).rejects.toThrow(InvalidJobError);
  const broken = join(dir, 'broken.ts');
  writeFileSync(broken, 'export default defineJob(\n  "x", (env) => { env.fromSequence(1, 2)\n');
  const err = await bundleJob(broken).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidJobError);
  expect((err as Error).message).toMatch(/broken\.ts:\d+:\d+: /);
});
