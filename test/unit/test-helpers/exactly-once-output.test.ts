/**
 * The checker of the exactly-once-count job's output (the chaos suite's and the exactly-once
 * tests' oracle): it must see every kind of damage a failover can do to the output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkExactlyOnce, checkOutput } from '../../helpers/exactly-once-output';

const PER_SOURCE = 10;
const KEYS = 3;

/** The lines a correct run commits: per key, seqs 0..n-1 with counts 1..n in both operators. */
function correctLines(): string[] {
  const lines: string[] = [];
  for (let n = 0; n < PER_SOURCE; n++) {
    for (const parity of [0, 1]) {
      const key = n % KEYS;
      const seq = 2 * Math.floor(n / KEYS) + parity;
      lines.push(`${key} ${seq} ${seq + 1} ${seq + 1}`);
    }
  }
  return lines;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-eo-check-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function commit(lines: string[], file = 'part-0-0'): void {
  writeFileSync(join(dir, file), lines.map((l) => `${l}\n`).join(''));
}

test('a correct output has nothing lost or duplicated', () => {
  const lines = correctLines();
  commit(lines.slice(0, 7), 'part-0-0');
  commit(lines.slice(7), 'part-1-0');
  // An in-progress part (hidden) is not committed output.
  writeFileSync(join(dir, '.part-1-1.inprogress'), `${lines[0]}\n`);
  expect(checkOutput(dir, PER_SOURCE, KEYS)).toEqual({
    records: 2 * PER_SOURCE,
    expected: 2 * PER_SOURCE,
    lost: 0,
    duplicated: 0,
    badCountKeys: 0,
  });
  expect(checkExactlyOnce(dir, PER_SOURCE, KEYS)).toBe(2 * PER_SOURCE);
});

test('a missing record counts as lost and breaks its key counts', () => {
  const lines = correctLines().filter((l) => l !== '1 2 3 3');
  commit(lines);
  const check = checkOutput(dir, PER_SOURCE, KEYS);
  expect(check).toMatchObject({ records: 2 * PER_SOURCE - 1, lost: 1, duplicated: 0, badCountKeys: 1 });
  expect(() => checkExactlyOnce(dir, PER_SOURCE, KEYS)).toThrow('(key 1, seq 2) is missing');
});

test('a record committed twice counts as duplicated', () => {
  const lines = correctLines();
  commit([...lines, lines[4]!]);
  const check = checkOutput(dir, PER_SOURCE, KEYS);
  expect(check).toMatchObject({ lost: 0, duplicated: 1, badCountKeys: 1 });
  expect(() => checkExactlyOnce(dir, PER_SOURCE, KEYS)).toThrow(`(key 2, seq 0) was committed twice`);
});

test('a co-operator count restarted (state lost) is caught though every record is there once', () => {
  const lines = correctLines().map((l) => (l === '0 3 4 4' ? '0 3 4 1' : l));
  commit(lines);
  expect(checkOutput(dir, PER_SOURCE, KEYS)).toMatchObject({ lost: 0, duplicated: 0, badCountKeys: 1 });
  expect(() => checkExactlyOnce(dir, PER_SOURCE, KEYS)).toThrow(
    'key 0: co-operator counts are not exactly 1..8',
  );
});

test('no output directory yet reads as nothing committed', () => {
  expect(checkOutput(join(dir, 'absent'), PER_SOURCE, KEYS)).toMatchObject({
    records: 0,
    lost: 2 * PER_SOURCE,
  });
});
