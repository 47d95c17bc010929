import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the committed output of the exactly-once-count job holds, against what it should. */
export interface OutputCheck {
  /** Lines committed (one per record that reached the sink). */
  readonly records: number;
  /** Records expected: every (key, seq) of both sources. */
  readonly expected: number;
  /** Expected (key, seq) pairs with no committed line. */
  readonly lost: number;
  /** Committed lines beyond the first for the same (key, seq). */
  readonly duplicated: number;
  /** Keys whose counts are not exactly 1..n (state lost or replayed without its state). */
  readonly badCountKeys: number;
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

/**
 * Reads the committed output of `test/fixtures/jobs/exactly-once-count-job.ts` (lines
 * `key seq count coCount`; each source emits `perSource` records over `keys` keys, one source
 * the even seqs of a key, the other the odd ones) and counts what was lost and duplicated.
 */
export function checkOutput(dir: string, perSource: number, keys: number): OutputCheck {
  const lines = committedLines(dir);
  const seen = new Map<string, number>();
  const counts = new Map<number, number[]>();
  for (const line of lines) {
    const [key, seq, count] = line.split(' ').map(Number) as [number, number, number];
    const id = `${key}/${seq}`;
    seen.set(id, (seen.get(id) ?? 0) + 1);
    (counts.get(key) ?? counts.set(key, []).get(key)!).push(count);
  }
  let lost = 0;
  let badCountKeys = 0;
  for (let key = 0; key < keys; key++) {
    const perKey = 2 * (Math.floor(perSource / keys) + (key < perSource % keys ? 1 : 0));
    for (let seq = 0; seq < perKey; seq++) if (!seen.has(`${key}/${seq}`)) lost++;
    const sorted = (counts.get(key) ?? []).slice().sort((a, b) => a - b);
    if (sorted.length !== perKey || sorted.some((c, i) => c !== i + 1)) badCountKeys++;
  }
  const duplicated = [...seen.values()].reduce((n, times) => n + times - 1, 0);
  return { records: lines.length, expected: 2 * perSource, lost, duplicated, badCountKeys };
}
