/*
 * The queues of the async wait operator (Flink's StreamElementQueue): the records whose calls
 * were issued and not yet emitted, and the watermarks between them. The ordered queue emits in
 * input order; the unordered one emits as calls complete, but never across a watermark (a
 * record is emitted after every watermark that came before it and before every one after it,
 * so no record becomes late downstream).
 */

/** One input record inside the operator: issued, then completed with its result. */
export interface AsyncEntry<IN, OUT> {
  readonly input: IN;
  readonly timestamp: number | undefined;
  done: boolean;
  result: OUT | undefined;
}

/** Where a queue emits what became ready, in emission order. */
export interface QueueOutput<IN, OUT> {
  record(entry: AsyncEntry<IN, OUT>): void;
  watermark(timestamp: number): void;
}

export interface AsyncWaitQueue<IN, OUT> {
  /** Records admitted and not yet emitted (in flight or completed): what capacity bounds. */
  readonly size: number;
  /** True when it holds nothing, watermarks included. */
  readonly isEmpty: boolean;
  add(entry: AsyncEntry<IN, OUT>): void;
  addWatermark(timestamp: number): void;
  /** The call of `entry` (added before) returned `result`. */
  complete(entry: AsyncEntry<IN, OUT>, result: OUT): void;
  /** Emits whatever may go out now (after entries completed or watermarks were added). */
  drain(out: QueueOutput<IN, OUT>): void;
  /** Every record not emitted yet, in the order it would be re-issued after a restore. */
  records(): AsyncEntry<IN, OUT>[];
}

type Element<IN, OUT> = { entry: AsyncEntry<IN, OUT> } | { watermark: number };

/** Emits in input order: a record waits for every record before it (Flink's `orderedWait`). */
export class OrderedAsyncQueue<IN, OUT> implements AsyncWaitQueue<IN, OUT> {
  private readonly elements: Element<IN, OUT>[] = [];
  private head = 0;
  size = 0;

  get isEmpty(): boolean {
    return this.head === this.elements.length;
  }

  add(entry: AsyncEntry<IN, OUT>): void {
    this.elements.push({ entry });
    this.size++;
  }

  addWatermark(timestamp: number): void {
    this.elements.push({ watermark: timestamp });
  }

  complete(entry: AsyncEntry<IN, OUT>, result: OUT): void {
    entry.done = true;
    entry.result = result;
  }

  drain(out: QueueOutput<IN, OUT>): void {
    while (this.head < this.elements.length) {
      const next = this.elements[this.head]!;
      if ('watermark' in next) out.watermark(next.watermark);
      else if (next.entry.done) {
        this.size--;
        out.record(next.entry);
      } else break;
      this.head++;
    }
    // Compact now and then: the array only grows at the end.
    if (this.head > 1024 && this.head * 2 > this.elements.length) {
      this.elements.splice(0, this.head);
      this.head = 0;
    }
  }

  records(): AsyncEntry<IN, OUT>[] {
    return this.elements.slice(this.head).flatMap((e) => ('entry' in e ? [e.entry] : []));
  }
}

/** The records between two watermarks, and the watermark that closes them (if one came yet). */
interface Segment<IN, OUT> {
  /** Records not emitted yet, in input order. */
  readonly entries: Set<AsyncEntry<IN, OUT>>;
  /** Completed records, in completion order. */
  ready: AsyncEntry<IN, OUT>[];
  closedBy: number | undefined;
}

/**
 * Emits records as their calls complete, within the segment between two watermarks (Flink's
 * `unorderedWait`): a watermark goes out once every record before it did.
 */
export class UnorderedAsyncQueue<IN, OUT> implements AsyncWaitQueue<IN, OUT> {
  private readonly segments: Segment<IN, OUT>[] = [newSegment()];
  private readonly segmentOf = new Map<AsyncEntry<IN, OUT>, Segment<IN, OUT>>();
  size = 0;

  get isEmpty(): boolean {
    return this.size === 0 && this.segments.length === 1;
  }

  add(entry: AsyncEntry<IN, OUT>): void {
    const last = this.segments[this.segments.length - 1]!;
    last.entries.add(entry);
    this.segmentOf.set(entry, last);
    this.size++;
  }

  addWatermark(timestamp: number): void {
    this.segments[this.segments.length - 1]!.closedBy = timestamp;
    this.segments.push(newSegment());
  }

  complete(entry: AsyncEntry<IN, OUT>, result: OUT): void {
    entry.done = true;
    entry.result = result;
    this.segmentOf.get(entry)!.ready.push(entry);
  }

  drain(out: QueueOutput<IN, OUT>): void {
    for (;;) {
      const first = this.segments[0]!;
      const ready = first.ready;
      first.ready = [];
      for (const entry of ready) {
        first.entries.delete(entry);
        this.segmentOf.delete(entry);
        this.size--;
        out.record(entry);
      }
      if (first.entries.size > 0 || first.closedBy === undefined) return;
      this.segments.shift();
      out.watermark(first.closedBy);
    }
  }

  records(): AsyncEntry<IN, OUT>[] {
    return this.segments.flatMap((s) => [...s.entries]);
  }
}

function newSegment<IN, OUT>(): Segment<IN, OUT> {
  return { entries: new Set(), ready: [], closedBy: undefined };
}
