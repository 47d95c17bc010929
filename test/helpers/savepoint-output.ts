import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Checks the committed output (`part-*`) of the savepoint-count job across its runs: every seq
 * 0..records-1 exactly once, and per key the counts exactly 1..n (a lost state restarts a
 * count, state restored twice or a replayed record repeats one). Returns the lines checked.
 */
export function checkCountsContinue(dir: string, records: number, keys: number): number {
  const lines = readdirSync(dir)
    .filter((f) => f.startsWith('part-'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    );
  const seen = new Set<number>();
  const counts = new Map<number, number[]>();
  for (const line of lines) {
    const [key, seq, count] = line.split(' ').map(Number) as [number, number, number];
    if (seen.has(seq)) throw new Error(`seq ${seq} was committed twice`);
    seen.add(seq);
    (counts.get(key) ?? counts.set(key, []).get(key)!).push(count);
  }
  if (seen.size !== records) throw new Error(`${seen.size} of ${records} records were committed`);
  for (let key = 0; key < keys; key++) {
    const n = Math.floor(records / keys) + (key < records % keys ? 1 : 0);
    const got = (counts.get(key) ?? []).sort((a, b) => a - b);
    if (got.some((c, i) => c !== i + 1) || got.length !== n)
      throw new Error(`key ${key}: counts are not exactly 1..${n} (got ${got.slice(0, 5).join(',')}…)`);
  }
  return lines.length;
}
