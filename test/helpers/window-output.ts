import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventOf } from '../fixtures/jobs/window-count-job';

/**
 * `key start count sum` for every tumbling 1 s window of the window-count job's `records`
 * events, computed from the event definition itself (not by the job's code), sorted.
 */
export function expectedWindows(records: number, keys: number): string[] {
  const windows = new Map<string, { count: number; sum: number }>();
  for (let n = 0; n < records; n++) {
    const e = eventOf(n, keys);
    const id = `${e.key} ${Math.floor(e.ts / 1000) * 1000}`;
    const w = windows.get(id) ?? { count: 0, sum: 0 };
    w.count++;
    w.sum += e.n;
    windows.set(id, w);
  }
  return [...windows].map(([id, w]) => `${id} ${w.count} ${w.sum}`).sort();
}

/**
 * Every committed line (`part-*` files) of a file sink's directory, sorted; duplicates kept.
 * None while the directory does not exist: the sink makes it with its first commit.
 */
export function committedLines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith('part-'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.length > 0)
    .sort();
}

/**
 * For output across a stop WITH drain and a resume: drain fires the windows open at the stop
 * with the events so far, and the resumed job fires them again with the rest, so a (key,
 * window) may appear twice, but together the parts hold exactly its events. Returns the
 * windows that were split (so a test can check drain did flush); throws on a miscount.
 */
export function checkSplitWindows(lines: readonly string[], records: number, keys: number): string[] {
  const parts = new Map<string, { count: number; sum: number; n: number }>();
  for (const line of lines) {
    const [key, start, count, sum] = line.split(' ');
    const id = `${key} ${start}`;
    const p = parts.get(id) ?? { count: 0, sum: 0, n: 0 };
    p.count += Number(count);
    p.sum += Number(sum);
    p.n++;
    parts.set(id, p);
  }
  const merged = [...parts].map(([id, p]) => `${id} ${p.count} ${p.sum}`).sort();
  const expected = expectedWindows(records, keys);
  if (merged.join('\n') !== expected.join('\n'))
    throw new Error(
      `the window parts do not add up to the expected windows (${merged.length} vs ${expected.length})`,
    );
  return [...parts].filter(([, p]) => p.n > 1).map(([id]) => id);
}
