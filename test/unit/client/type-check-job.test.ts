import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { typeCheckJob } from '../../../runtime/client/type-check-job';
import { InvalidJobError } from '../../../runtime/errors';
import { REPO_ROOT, functionJob } from '../../helpers/embedded';

const API = JSON.stringify(join(REPO_ROOT, 'runtime', 'api'));
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sluice-typecheck-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeJob(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

test('a job with type errors is rejected with file:line:column of each', () => {
  const job = writeJob(
    'bad.ts',
    `import { defineJob } from ${API};\n` +
      `export default defineJob('bad', (env) => {\n` +
      `  const n: number = 'one';\n` +
      `  env.fromCollection([n]).map((x) => x.toUpperCase()).print();\n` +
      `});\n`,
  );
  let error: unknown;
  try {
    typeCheckJob(job, dir);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(InvalidJobError);
  const message = (error as Error).message;
  expect(message).toMatch(/^bad\.ts has 2 type errors \(run again with --skip-type-check/);
  expect(message).toContain("bad.ts:3:9 - error TS2322: Type 'string' is not assignable to type 'number'.");
  expect(message).toMatch(
    /bad\.ts:4:40 - error TS2339: Property 'toUpperCase' does not exist on type 'number'/,
  );
});

test('without a tsconfig.json the job is checked strictly (implicit any is an error)', () => {
  const job = writeJob(
    'loose.ts',
    `import { defineJob } from ${API};\n` +
      `function twice(x) { return x * 2; }\n` +
      `export default defineJob('loose', (env) => env.fromSequence(1, 3).map(twice).print());\n`,
  );
  expect(() => typeCheckJob(job, dir)).toThrow(
    /loose\.ts:2:16 - error TS7006: Parameter 'x' implicitly has an 'any' type/,
  );
});

test("the example jobs and the README's 'Writing a job' example pass under strict", () => {
  for (const name of ['word-count', 'nexmark', 'enrich-orders', 'async-enrich']) {
    expect(typeCheckJob(functionJob(name), REPO_ROOT).checkedFiles).toBeGreaterThanOrEqual(1);
  }
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Writing a job'));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(example).toContain("from 'sluice'");
  const job = writeJob('readme-example.ts', example!.replace("from 'sluice'", `from ${API}`));
  expect(typeCheckJob(job, dir).checkedFiles).toBe(1);
});

test("the README's event-time example passes under strict", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Event time, timers and windows'));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(example).toContain('TumblingEventTimeWindows');
  const job = writeJob('readme-event-time.ts', example!.replace("from 'sluice'", `from ${API}`));
  expect(typeCheckJob(job, dir).checkedFiles).toBe(1);
});

test("the README's side-output and session example passes under strict", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Side outputs, session windows and triggers'));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(example).toContain('EventTimeSessionWindows');
  const job = writeJob('readme-sessions.ts', example!.replace("from 'sluice'", `from ${API}`));
  expect(typeCheckJob(job, dir).checkedFiles).toBe(1);
});

test("the README's async I/O example passes under strict", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Async I/O'));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(example).toContain('mapAsync');
  const job = writeJob('readme-async-io.ts', example!.replace("from 'sluice'", `from ${API}`));
  expect(typeCheckJob(job, dir).checkedFiles).toBe(1);
});

test("the broadcast-rules example and the README's broadcast state example pass under strict", () => {
  expect(typeCheckJob(functionJob('broadcast-rules'), REPO_ROOT).checkedFiles).toBeGreaterThanOrEqual(1);
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Broadcast state'));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(example).toContain('processBroadcastElement');
  const job = writeJob('readme-broadcast.ts', example!.replace("from 'sluice'", `from ${API}`));
  expect(typeCheckJob(job, dir).checkedFiles).toBe(1);
});

test('JavaScript jobs are not checked', () => {
  expect(typeCheckJob(writeJob('plain.js', 'module.exports = 1 + "";\n'), dir).checkedFiles).toBe(0);
});
