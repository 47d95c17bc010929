import type { BlobStore } from '../../storage/blob-store';
import type { InputStatus, ReaderOutput, SourceReader } from '../source';

const CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;
/** Lines emitted per poll at most, so a checkpoint or a cancel waits for no more than that. */
const MAX_LINES_PER_POLL = 1024;

/** The byte range of an object of `size` bytes that subtask `index` of `parallelism` owns. */
export function subtaskByteRange(size: number, index: number, parallelism: number): [number, number] {
  return [Math.floor((index * size) / parallelism), Math.floor(((index + 1) * size) / parallelism)];
}

/**
 * Lines of one blob-store object (`readTextFile('s3://…')`), split like the local file reader:
 * subtask i reads the lines that start in the i-th byte range, so each line is read exactly once
 * at any parallelism. Position = byte offset of the next unread line. Reads are ranged gets of
 * CHUNK_BYTES through the task's blob store; while one is in flight `pollNext` says
 * `nothing-available` and `isAvailable` resolves when it lands.
 */
export class BlobLinesReader implements SourceReader<string, { offset: number }> {
  private offset = 0;
  private end = 0;
  private size = 0;
  private restored: number | undefined;
  /** Bytes of the object from `bufferStart` on, not yet consumed. */
  private buffer = Buffer.alloc(0);
  private bufferStart = 0;
  private fetching: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly store: BlobStore,
    private readonly key: string,
    private readonly subtaskIndex: number,
    private readonly parallelism: number,
  ) {}

  async start(): Promise<void> {
    this.size = await this.store.size(this.key);
    const [start, end] = subtaskByteRange(this.size, this.subtaskIndex, this.parallelism);
    this.end = end;
    this.offset = this.restored ?? (await this.firstLineAtOrAfter(start));
    this.bufferStart = this.offset;
  }

  pollNext(output: ReaderOutput<string>): InputStatus {
    if (this.failure !== undefined) throw this.failure;
    for (let lines = 0; this.offset < this.end; lines++) {
      if (lines === MAX_LINES_PER_POLL) return 'more';
      const from = this.offset - this.bufferStart;
      const nl = this.buffer.indexOf(NEWLINE, from);
      const bufferEnd = this.bufferStart + this.buffer.length;
      if (nl >= 0) {
        this.emit(output, from, nl, 1);
      } else if (bufferEnd >= this.size) {
        if (from < this.buffer.length) this.emit(output, from, this.buffer.length, 0); // no final newline
        return 'end';
      } else {
        this.fetchMore();
        return 'nothing-available';
      }
    }
    return 'end';
  }

  isAvailable(): Promise<void> {
    return this.fetching ?? Promise.resolve();
  }

  snapshotState(): { offset: number } {
    return { offset: this.offset };
  }

  restoreState(state: { offset: number }): void {
    this.restored = state.offset;
  }

  private emit(output: ReaderOutput<string>, from: number, to: number, newline: 0 | 1): void {
    const lineEnd = to > from && this.buffer[to - 1] === 0x0d ? to - 1 : to; // tolerate CRLF
    output.collect(this.buffer.toString('utf8', from, lineEnd));
    this.offset += to - from + newline;
  }

  /** Drops consumed bytes and appends the next chunk (a line longer than a chunk takes several). */
  private fetchMore(): void {
    if (this.fetching) return;
    const consumed = this.offset - this.bufferStart;
    this.buffer = this.buffer.subarray(consumed);
    this.bufferStart = this.offset;
    const at = this.bufferStart + this.buffer.length;
    this.fetching = this.store.getRange(this.key, at, CHUNK_BYTES).then(
      (bytes) => {
        this.buffer = Buffer.concat([this.buffer, bytes]);
        // An object that shrank while being read ends here rather than looping.
        if (bytes.byteLength === 0) this.size = at;
        this.fetching = undefined;
      },
      (err: unknown) => {
        this.failure = err;
        this.fetching = undefined;
      },
    );
  }

  private async firstLineAtOrAfter(start: number): Promise<number> {
    if (start === 0) return 0;
    let position = start - 1; // a line starts at `start` when the byte before it is a newline
    for (;;) {
      const chunk = await this.store.getRange(this.key, position, CHUNK_BYTES);
      if (chunk.byteLength === 0) return position;
      const nl = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).indexOf(NEWLINE);
      if (nl >= 0) return position + nl + 1;
      position += chunk.byteLength;
    }
  }
}
