import type { InputStatus, ReaderOutput, Source, SourceReader } from '../../runtime/api';

/** Benchmark workloads shared by every variant (hand loop, Sluice, Node streams), so they compare like for like. */

export const WORDS_PER_LINE = 8;
const VOCABULARY = Array.from({ length: 5000 }, (_, i) => `word${i.toString(36)}`);

/** Line n of the synthetic text: 8 words picked deterministically from a 5000-word vocabulary. */
export function lineAt(n: number): string {
  const words: string[] = [];
  for (let i = 0; i < WORDS_PER_LINE; i++) words.push(VOCABULARY[(Math.imul(n * WORDS_PER_LINE + i, 2654435761) >>> 0) % VOCABULARY.length]!);
  return words.join(' ');
}

export function splitLine(line: string, out: { collect(word: string): void }): void {
  for (const w of line.split(' ')) out.collect(w);
}

/** A bounded source of `count` items made by `make(n)`, split into ranges across subtasks. */
export function generatedSource<T>(count: number, make: (n: number) => T): Source<T> {
  return {
    boundedness: 'bounded',
    createReader({ subtaskIndex, parallelism }) {
      const start = Math.floor((subtaskIndex * count) / parallelism);
      const end = Math.floor(((subtaskIndex + 1) * count) / parallelism);
      return new GeneratedReader(start, end, make);
    },
  };
}

class GeneratedReader<T> implements SourceReader<T, { next: number }> {
  constructor(
    private next: number,
    private readonly end: number,
    private readonly make: (n: number) => T,
  ) {}

  pollNext(output: ReaderOutput<T>): InputStatus {
    const stop = Math.min(this.end, this.next + 1024);
    while (this.next < stop) output.collect(this.make(this.next++));
    return this.next < this.end ? 'more' : 'end';
  }

  snapshotState(): { next: number } {
    return { next: this.next };
  }
}
