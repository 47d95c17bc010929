import type { InputStatus, ReaderOutput, Source, SourceReader } from '../source';

const BATCH = 512;

/**
 * `count` records made by `make(n)` for n = 0..count-1 (Flink's DataGeneratorSource). Subtask i
 * reads the i-th contiguous range; its position is the next n, so `make` must be a pure
 * function of n for a restored reader to continue where it was.
 */
export function generatorSource<T>(count: number, make: (n: number) => T): Source<T> {
  if (!Number.isSafeInteger(count) || count < 0)
    throw new RangeError(`generator source: count must be a safe integer >= 0, got ${count}`);
  return {
    boundedness: 'bounded',
    createReader({ subtaskIndex, parallelism }) {
      const start = Math.floor((subtaskIndex * count) / parallelism);
      const end = Math.floor(((subtaskIndex + 1) * count) / parallelism); // exclusive
      return new GeneratorReader(start, end, make);
    },
  };
}

/** The numbers from..to inclusive; subtask i reads the i-th contiguous range. */
export function sequenceSource(from: number, to: number): Source<number> {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) {
    throw new RangeError(`fromSequence(${from}, ${to}): needs safe integers with from <= to`);
  }
  return generatorSource(to - from + 1, (n) => from + n);
}

class GeneratorReader<T> implements SourceReader<T, { next: number }> {
  constructor(
    private next: number,
    private readonly end: number,
    private readonly make: (n: number) => T,
  ) {}

  pollNext(output: ReaderOutput<T>): InputStatus {
    const stop = Math.min(this.end, this.next + BATCH);
    while (this.next < stop) output.collect(this.make(this.next++));
    return this.next < this.end ? 'more' : 'end';
  }

  snapshotState(): { next: number } {
    return { next: this.next };
  }

  restoreState(state: { next: number }): void {
    this.next = state.next;
  }
}

/** The given items; subtask i reads the items whose index is i modulo the parallelism. */
export function collectionSource<T>(items: readonly T[]): Source<T> {
  const copy = items.slice();
  return {
    boundedness: 'bounded',
    createReader: ({ subtaskIndex, parallelism }) => new CollectionReader(copy, subtaskIndex, parallelism),
  };
}

class CollectionReader<T> implements SourceReader<T, { position: number }> {
  private position: number;

  constructor(
    private readonly items: readonly T[],
    subtaskIndex: number,
    private readonly step: number,
  ) {
    this.position = subtaskIndex;
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    for (let i = 0; i < BATCH && this.position < this.items.length; i++) {
      output.collect(this.items[this.position] as T);
      this.position += this.step;
    }
    return this.position < this.items.length ? 'more' : 'end';
  }

  snapshotState(): { position: number } {
    return { position: this.position };
  }

  restoreState(state: { position: number }): void {
    this.position = state.position;
  }
}
