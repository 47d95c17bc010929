import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the committed output of the exactly-once-count job (test/fixtures/jobs) holds, against
 * what it should: lines `key seq count coCount`; each source emits `perSource` records over
 * `keys` keys, one source the even seqs of a key, the other the odd ones.
 */
export interface OutputCheck {
  /** Lines committed (one per record that reached the sink). */
  readonly records: number;
  /** Records expected: every (key, seq) of both sources. */
  readonly expected: number;
  /** Expected (key, seq) pairs with no committed line. */
  readonly lost: number;
  /** Committed lines beyond the first for the same (key, seq). */
  readonly duplicated: number;
  /** Keys whose counts or co-operator counts are not exactly 1..n (state lost or replayed without it). */
  readonly badCountKeys: number;
  /** The first violation in words, or undefined when the output is exactly-once. */
  readonly firstProblem?: string;
}

/** Committed part files only: in-progress and staged parts are hidden (leading `.`). */
export function committedLines(dir: string): string[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.startsWith('part-'));
  } catch {
    return [];
  }
  return files.flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0),
  );
}

/** Counts what the committed output in `dir` lost and duplicated, and keys with wrong counts. */
export function checkOutput(dir: string, perSource: number, keys: number): OutputCheck {
  const lines = committedLines(dir);
  const seen = new Map<string, number>();
  const counts = new Map<number, number[]>();
  const coCounts = new Map<number, number[]>();
  const problems: string[] = [];
  for (const line of lines) {
    const [key, seq, count, coCount] = line.split(' ').map(Number) as [number, number, number, number];
    const id = `${key}/${seq}`;
    const times = (seen.get(id) ?? 0) + 1;
    if (times === 2) problems.push(`(key ${key}, seq ${seq}) was committed twice`);
    seen.set(id, times);
    (counts.get(key) ?? counts.set(key, []).get(key)!).push(count);
    (coCounts.get(key) ?? coCounts.set(key, []).get(key)!).push(coCount);
  }
  let lost = 0;
  let badCountKeys = 0;
  const exactlyOneTo = (n: number, xs: number[] | undefined): boolean => {
    const sorted = (xs ?? []).slice().sort((a, b) => a - b);
    return sorted.length === n && sorted.every((c, i) => c === i + 1);
  };
  for (let key = 0; key < keys; key++) {
    const perKey = 2 * (Math.floor(perSource / keys) + (key < perSource % keys ? 1 : 0));
    for (let seq = 0; seq < perKey; seq++) {
      if (seen.has(`${key}/${seq}`)) continue;
      if (lost++ === 0) problems.push(`(key ${key}, seq ${seq}) is missing`);
    }
    const countsOk = exactlyOneTo(perKey, counts.get(key));
    const coCountsOk = exactlyOneTo(perKey, coCounts.get(key));
    if (!countsOk) problems.push(`key ${key}: counts are not exactly 1..${perKey}`);
    if (!coCountsOk) problems.push(`key ${key}: co-operator counts are not exactly 1..${perKey}`);
    if (!countsOk || !coCountsOk) badCountKeys++;
  }
  const duplicated = [...seen.values()].reduce((n, times) => n + times - 1, 0);
  return {
    records: lines.length,
    expected: 2 * perSource,
    lost,
    duplicated,
    badCountKeys,
    ...(problems.length > 0 ? { firstProblem: problems[0] } : {}),
  };
}

/**
 * Checks that the committed output in `dir` is exactly-once: every (key, seq) once, and per key
 * both counts exactly 1..n. Throws naming the first violation; returns how many lines it held.
 */
export function checkExactlyOnce(dir: string, perSource: number, keys: number): number {
  const check = checkOutput(dir, perSource, keys);
  if (check.firstProblem !== undefined) throw new Error(check.firstProblem);
  return check.records;
}
