import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveJobArgs } from '../../../runtime/client/resolve-job-args';

let cwd: string;
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'sluice-args-'));
  writeFileSync(join(cwd, 'input.txt'), 'a\n');
  mkdirSync(join(cwd, 'data'));
  writeFileSync(join(cwd, 'q1'), '');
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

test('relative paths to existing files and directories become absolute', () => {
  expect(resolveJobArgs({ input: 'input.txt', dir: 'data', nested: 'data/../input.txt' }, cwd)).toEqual({
    input: join(cwd, 'input.txt'),
    dir: join(cwd, 'data'),
    nested: join(cwd, 'input.txt'),
  });
});

test('values starting with ./ or ../ are paths even when nothing exists there yet (an output directory)', () => {
  expect(resolveJobArgs({ out: './out', up: '../elsewhere/out', here: '.' }, cwd)).toEqual({
    out: join(cwd, 'out'),
    up: join(cwd, '..', 'elsewhere', 'out'),
    here: cwd,
  });
});

test('URLs, absolute paths and other values are passed unchanged', () => {
  const args = {
    bucket: 's3://bucket/key.txt',
    web: 'https://example.com/a.txt',
    file: 'file:///tmp/x',
    absolute: '/etc/hosts',
    query: 'q2',
    count: '1000',
    list: 'a,b',
    empty: '',
    missing: 'not-there.txt',
  };
  expect(resolveJobArgs(args, cwd)).toEqual(args);
});

test('a plain word that happens to name a file in the working directory is resolved (the documented rule)', () => {
  expect(resolveJobArgs({ query: 'q1' }, cwd)).toEqual({ query: join(cwd, 'q1') });
});
