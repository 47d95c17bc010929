import { StateError } from '../../errors';
import type { InputStatus, ReaderOutput, Source, SourceReader } from '../source';
import { TimedBatch } from './timed-batch';

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
      return new GeneratorReader({ next: start, end }, make);
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

/** A range of the sequence still to read: `next` up to `end` (exclusive). */
interface RangeSplit {
  next: number;
  readonly end: number;
}

/**
 * Reads its ranges in order. Its state is its unfinished ranges, one split each, so a restore
 * at another parallelism deals them out to the new subtasks and every n is read once.
 */
class GeneratorReader<T> implements SourceReader<T, RangeSplit> {
  private splits: RangeSplit[];
  private readonly batch = new TimedBatch();

  constructor(
    private readonly initial: RangeSplit,
    private readonly make: (n: number) => T,
  ) {
    this.splits = [{ ...initial }];
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    while (this.splits.length > 0 && this.splits[0]!.next >= this.splits[0]!.end) this.splits.shift();
    const split = this.splits[0];
    if (!split) return 'end';
    const stop = Math.min(split.end, split.next + this.batch.begin());
    while (split.next < stop) output.collect(this.make(split.next++));
    this.batch.end();
    return split.next < split.end || this.splits.length > 1 ? 'more' : 'end';
  }

  snapshotSplits(): RangeSplit[] {
    return this.splits.filter((s) => s.next < s.end).map((s) => ({ next: s.next, end: s.end }));
  }

  restoreSplits(splits: unknown[]): void {
    this.splits = splits.map((s) => {
      const { next, end } = s as Partial<RangeSplit>;
      if (typeof next !== 'number')
        throw new StateError(`generator source: a restored split is malformed: ${JSON.stringify(s)}`);
      // `{ next }` alone: a position from before ranges were splits, restored at its old parallelism.
      return { next, end: typeof end === 'number' ? end : this.initial.end };
    });
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

/** The items at `position`, `position + step`, …: one subtask's share at the parallelism `step`. */
interface StrideSplit {
  position: number;
  readonly step: number;
}

/** Reads its strides in order; its state is its unfinished strides, one split each (see GeneratorReader). */
class CollectionReader<T> implements SourceReader<T, StrideSplit> {
  private splits: StrideSplit[];
  private readonly batch = new TimedBatch();

  constructor(
    private readonly items: readonly T[],
    subtaskIndex: number,
    private readonly step: number,
  ) {
    this.splits = [{ position: subtaskIndex, step }];
  }

  pollNext(output: ReaderOutput<T>): InputStatus {
    const { items } = this;
    while (this.splits.length > 0 && this.splits[0]!.position >= items.length) this.splits.shift();
    const split = this.splits[0];
    if (!split) return 'end';
    const size = this.batch.begin();
    for (let i = 0; i < size && split.position < items.length; i++) {
      output.collect(items[split.position] as T);
      split.position += split.step;
    }
    this.batch.end();
    return split.position < items.length || this.splits.length > 1 ? 'more' : 'end';
  }

  snapshotSplits(): StrideSplit[] {
    return this.splits
      .filter((s) => s.position < this.items.length)
      .map((s) => ({ position: s.position, step: s.step }));
  }

  restoreSplits(splits: unknown[]): void {
    this.splits = splits.map((s) => {
      const { position, step } = s as Partial<StrideSplit>;
      if (typeof position !== 'number')
        throw new StateError(`collection source: a restored split is malformed: ${JSON.stringify(s)}`);
      // `{ position }` alone: from before strides were splits, restored at its old parallelism.
      return { position, step: typeof step === 'number' && step > 0 ? step : this.step };
    });
  }
}
