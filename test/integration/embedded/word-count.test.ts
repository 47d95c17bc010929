import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_TEXT } from '../../../functions/sample-text';
import { functionJob, runEmbedded } from '../../helpers/embedded';

/** Word counts computed independently of Sluice. */
function expectedCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of text.toLowerCase().split(/[^\p{L}]+/u)) {
    if (word) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** Every update line a correct word count prints: `w 1` … `w n` for each word. */
function expectedUpdateLines(counts: Map<string, number>): string[] {
  const lines: string[] = [];
  for (const [word, n] of counts) for (let i = 1; i <= n; i++) lines.push(`${word} ${i}`);
  return lines.sort();
}

/** Final count per word: the highest count printed for it. */
function finalCounts(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const [word, n] = line.split(' ');
    counts.set(word!, Math.max(counts.get(word!) ?? 0, Number(n)));
  }
  return counts;
}

describe('word-count, embedded', () => {
  const wordCount = functionJob('word-count');
  const expected = expectedCounts(SAMPLE_TEXT);

  it('gives identical results at parallelism 1, 2 and 4', async () => {
    const runs = await Promise.all(
      [1, 2, 4].map((parallelism) => runEmbedded(wordCount, {}, { parallelism })),
    );
    const sorted = runs.map((r) => [...r.lines].sort());
    expect(sorted[0]).toEqual(expectedUpdateLines(expected));
    expect(sorted[1]).toEqual(sorted[0]);
    expect(sorted[2]).toEqual(sorted[0]);
    expect(finalCounts(runs[2]!.lines)).toEqual(expected);
  });

  it('counts a file split across subtasks, with and without chaining', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-wc-'));
    const words = ['alpha', 'beta', 'gamma', 'délta', 'epsilon'];
    const text = Array.from(
      { length: 5000 },
      (_, i) => `${words[i % 5]} ${words[(i * 7) % 5]}, ${words[(i * 3) % 5]}!`,
    ).join('\r\n');
    const input = join(dir, 'input.txt');
    writeFileSync(input, text);
    const counts = expectedCounts(text);
    const chained = await runEmbedded(wordCount, { input }, { parallelism: 3 });
    const unchained = await runEmbedded(wordCount, { input }, { parallelism: 3, chaining: false });
    expect(finalCounts(chained.lines)).toEqual(counts);
    expect([...unchained.lines].sort()).toEqual([...chained.lines].sort());
    expect(chained.lines).toHaveLength(15000);
  });
});
