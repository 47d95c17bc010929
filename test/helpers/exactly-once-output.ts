import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Checks the committed output of the exactly-once-count job (test/fixtures/jobs): every
 * (key, seq) once, and per key both counts exactly 1..n. Throws naming the first violation;
 * returns how many lines it held.
 */
export function checkExactlyOnce(dir: string, perSource: number, keys: number): number {
  const files = readdirSync(dir).filter((f) => f.startsWith('part-'));
  const lines = files.flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0),
  );
  const seen = new Set<string>();
  const counts = new Map<number, number[]>();
  const coCounts = new Map<number, number[]>();
  for (const line of lines) {
    const [key, seq, count, coCount] = line.split(' ').map(Number) as [number, number, number, number];
    const id = `${key}/${seq}`;
    if (seen.has(id)) throw new Error(`(key ${key}, seq ${seq}) was committed twice`);
    seen.add(id);
    (counts.get(key) ?? counts.set(key, []).get(key)!).push(count);
    (coCounts.get(key) ?? coCounts.set(key, []).get(key)!).push(coCount);
  }
  for (let key = 0; key < keys; key++) {
    const perKey = 2 * (Math.floor(perSource / keys) + (key < perSource % keys ? 1 : 0));
    const expected = Array.from({ length: perKey }, (_, i) => i + 1);
    const asc = (xs: number[] | undefined) => (xs ?? []).slice().sort((a, b) => a - b);
    if (JSON.stringify(asc(counts.get(key))) !== JSON.stringify(expected))
      throw new Error(`key ${key}: counts are not exactly 1..${perKey}`);
    if (JSON.stringify(asc(coCounts.get(key))) !== JSON.stringify(expected))
      throw new Error(`key ${key}: co-operator counts are not exactly 1..${perKey}`);
  }
  return lines.length;
}
