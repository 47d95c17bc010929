/** Benchmark workloads shared by every variant (hand loop, Sluice, Node streams), so they compare like for like. */

export const WORDS_PER_LINE = 8;
const VOCABULARY = Array.from({ length: 5000 }, (_, i) => `word${i.toString(36)}`);

/** Line n of the synthetic text: 8 words picked deterministically from a 5000-word vocabulary. */
export function lineAt(n: number): string {
  const words: string[] = [];
  for (let i = 0; i < WORDS_PER_LINE; i++)
    words.push(VOCABULARY[(Math.imul(n * WORDS_PER_LINE + i, 2654435761) >>> 0) % VOCABULARY.length]!);
  return words.join(' ');
}

export function splitLine(line: string, out: { collect(word: string): void }): void {
  for (const w of line.split(' ')) out.collect(w);
}
