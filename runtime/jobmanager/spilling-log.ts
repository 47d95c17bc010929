import { Packr } from 'msgpackr';
import { describeError } from '../errors';
import type { BlobStore } from '../storage/blob-store';
import type { Logger } from '../util/logger';
import { sleep } from '../util/wait';

const packr = new Packr({ useRecords: false, moreTypes: false });

export interface SpillingLogOptions {
  /** Where segments go; without one the oldest items are dropped instead (counted). */
  readonly store?: BlobStore;
  /** Folder of this log's segments, e.g. `jobs/<id>/output/<attempt>/lines`. */
  readonly keyPrefix: string;
  /** Bytes per spilled segment (approximate, by `sizeOf`). */
  readonly segmentBytes: number;
  /** In-memory bytes above which appends should wait for a spill (`whenWritable`). */
  readonly maxMemoryBytes: number;
  readonly sizeOf: (item: unknown) => number;
  readonly logger: Logger;
}

interface Segment {
  readonly first: number;
  readonly count: number;
  readonly key: string;
}

export interface SpillingLogStats {
  /** Items held in memory now / at most since the log started. */
  readonly memoryItems: number;
  readonly memoryBytes: number;
  readonly peakMemoryBytes: number;
  readonly spilledItems: number;
  readonly segments: number;
  readonly dropped: number;
}

/**
 * An append-only, indexed log of items (output lines, collected results) whose newest part is
 * kept in memory and whose older part is spilled to the blob store in segments, so memory stays
 * bounded however much a job prints while every item stays readable by index. Appends are
 * synchronous (ordering follows the calls); `whenWritable()` lets producers wait while a spill
 * is behind, which is how back pressure reaches them. Reads of spilled items fetch their
 * segment (the last one read is cached, so paging through it costs one fetch).
 */
export class SpillingLog<T> {
  private tail: T[] = [];
  private tailSizes: number[] = [];
  private tailFirst = 0;
  private tailBytes = 0;
  private peakBytes = 0;
  private dropped = 0;
  private readonly segments: Segment[] = [];
  private spilling: Promise<void> | undefined;
  private closed = false;
  /** No more appends: spill the whole tail, so a finished job holds no output in memory. */
  private sealed = false;
  private cached: { segment: Segment; items: T[] } | undefined;

  constructor(private readonly options: SpillingLogOptions) {}

  /** Index of the next item appended (= items appended so far). */
  get length(): number {
    return this.tailFirst + this.tail.length;
  }

  stats(): SpillingLogStats {
    return {
      memoryItems: this.tail.length,
      memoryBytes: this.tailBytes,
      peakMemoryBytes: this.peakBytes,
      spilledItems: this.segments.reduce((n, s) => n + s.count, 0),
      segments: this.segments.length,
      dropped: this.dropped,
    };
  }

  append(items: readonly T[]): void {
    if (this.closed) return;
    for (const item of items) {
      const size = this.options.sizeOf(item);
      this.tail.push(item);
      this.tailSizes.push(size);
      this.tailBytes += size;
    }
    this.peakBytes = Math.max(this.peakBytes, this.tailBytes);
    if (this.needsSpill()) this.spill();
  }

  /** The log is complete: moves what is still in memory to the store (if there is one). */
  seal(): void {
    this.sealed = true;
    if (this.options.store) this.spill();
  }

  /** Resolves once memory is below `maxMemoryBytes` (spills first if needed). */
  async whenWritable(): Promise<void> {
    while (!this.closed && this.tailBytes > this.options.maxMemoryBytes) {
      this.spill();
      if (!this.spilling) return;
      const before = this.tailFirst;
      await this.spilling;
      // A failed spill was logged; do not retry in a hot loop.
      if (this.tailFirst === before) await sleep(1_000);
    }
  }

  /** Up to `max` items from index `from` (fewer at a segment's end; none past the end). */
  async read(from: number, max: number): Promise<{ items: T[]; next: number; droppedBefore: number }> {
    const start = Math.min(Math.max(from, this.firstReadable()), this.length);
    if (start >= this.tailFirst) {
      const offset = start - this.tailFirst;
      const items = this.tail.slice(offset, offset + max);
      return { items, next: start + items.length, droppedBefore: this.dropped };
    }
    const segment = this.segmentOf(start);
    const all = await this.load(segment);
    const items = all.slice(start - segment.first, start - segment.first + max);
    return { items, next: start + items.length, droppedBefore: this.dropped };
  }

  /** Stops spilling and forgets the items; `deleteSpilled` removes the segments too. */
  async close(deleteSpilled: boolean): Promise<void> {
    this.closed = true;
    this.tail = [];
    this.tailSizes = [];
    this.tailBytes = 0;
    this.cached = undefined;
    await this.spilling;
    if (deleteSpilled && this.options.store && this.segments.length > 0) {
      await this.options.store
        .deletePrefix(this.options.keyPrefix)
        .catch((err: unknown) =>
          this.options.logger.warn({ err, prefix: this.options.keyPrefix }, 'cannot delete spilled output'),
        );
    }
  }

  private firstReadable(): number {
    return this.segments[0]?.first ?? this.tailFirst;
  }

  private segmentOf(index: number): Segment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.first <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo]!;
  }

  private async load(segment: Segment): Promise<T[]> {
    if (this.cached?.segment === segment) return this.cached.items;
    const store = this.options.store!;
    const items = packr.unpack(await store.get(segment.key)) as T[];
    this.cached = { segment, items };
    return items;
  }

  /** Moves the oldest segment's worth of items to the store, one segment at a time. */
  private spill(): void {
    if (this.spilling || this.closed || this.tail.length === 0) return;
    const store = this.options.store;
    let count = 0;
    let bytes = 0;
    while (count < this.tail.length && bytes < this.options.segmentBytes) bytes += this.tailSizes[count++]!;
    if (!store) return this.forget(count, bytes, true);
    const first = this.tailFirst;
    const key = `${this.options.keyPrefix}/${String(first).padStart(12, '0')}.msgpack`;
    const body = packr.pack(this.tail.slice(0, count));
    this.spilling = store
      .put(key, body, { contentType: 'application/msgpack', metadata: { kind: 'job-output' } })
      .then(
        () => {
          if (this.closed) return;
          this.segments.push({ first, count, key });
          this.forget(count, bytes, false);
        },
        (err: unknown) => {
          // Keep the items in memory (producers keep waiting) and try again on the next append.
          this.options.logger.error({ err, key, cause: describeError(err) }, 'cannot spill job output');
        },
      )
      .finally(() => {
        this.spilling = undefined;
        if (!this.closed && this.needsSpill()) this.spill();
      });
  }

  private needsSpill(): boolean {
    return this.sealed ? this.tail.length > 0 : this.tailBytes >= 2 * this.options.segmentBytes;
  }

  private forget(count: number, bytes: number, dropped: boolean): void {
    this.tail.splice(0, count);
    this.tailSizes.splice(0, count);
    this.tailFirst += count;
    this.tailBytes -= bytes;
    if (dropped) this.dropped += count;
  }
}
