import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import type { InputStatus, ReaderOutput, Source, SourceReader } from '../source';
import { isS3Path, s3PathToBlobKey } from '../../storage/s3-path';
import { BlobLinesReader, subtaskByteRange } from './blob-lines-reader';
import { fileError } from './file-error';

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Lines of a text file: a local path (resolved on each TaskManager) or an `s3://bucket/key`
 * object of the cluster's bucket (read through the TaskManager, see `BlobLinesReader`). Subtask
 * i reads the lines that start in the i-th byte range of the file, so each line is read exactly
 * once at any parallelism. Position = byte offset.
 */
export function fileLinesSource(path: string): Source<string> {
  return {
    boundedness: 'bounded',
    createReader: ({ subtaskIndex, parallelism, taskManagerId, s3 }) => {
      if (!isS3Path(path)) return new FileLinesReader(path, subtaskIndex, parallelism, taskManagerId);
      const key = s3PathToBlobKey(path, s3?.scope);
      if (s3 === undefined) throw new Error(`cannot read ${path}: this task has no blob access`);
      return new BlobLinesReader(s3.store, key, subtaskIndex, parallelism);
    },
  };
}

class FileLinesReader implements SourceReader<string, { offset: number }> {
  private fd = -1;
  private offset = 0; // byte offset of the next unread line
  private end = 0; // lines starting at or after this offset belong to the next subtask
  private restored: number | undefined;

  constructor(
    private readonly path: string,
    private readonly subtaskIndex: number,
    private readonly parallelism: number,
    private readonly taskManagerId: string,
  ) {}

  start(): void {
    const absolute = resolve(this.path);
    try {
      this.fd = openSync(absolute, 'r');
    } catch (err) {
      throw fileError('read', absolute, this.taskManagerId, err);
    }
    const size = fstatSync(this.fd).size;
    const [start, end] = subtaskByteRange(size, this.subtaskIndex, this.parallelism);
    this.end = end;
    this.offset = this.restored ?? this.firstLineAtOrAfter(start);
  }

  pollNext(output: ReaderOutput<string>): InputStatus {
    if (this.offset >= this.end) return 'end';
    // Grows the chunk only for a line longer than it.
    for (let size = CHUNK_BYTES; ; size *= 2) {
      const chunk = Buffer.allocUnsafe(size);
      const read = readSync(this.fd, chunk, 0, size, this.offset);
      if (read === 0) return 'end';
      const atEof = read < size;
      let lineStart = 0;
      let nl = chunk.indexOf(NEWLINE, 0);
      while (this.offset < this.end && nl !== -1 && nl < read) {
        this.emitLine(output, chunk, lineStart, nl, 1);
        lineStart = nl + 1;
        nl = chunk.indexOf(NEWLINE, lineStart);
      }
      if (atEof && this.offset < this.end && lineStart < read) {
        this.emitLine(output, chunk, lineStart, read, 0); // last line has no newline
      }
      if (lineStart > 0 || atEof) return atEof || this.offset >= this.end ? 'end' : 'more';
    }
  }

  snapshotState(): { offset: number } {
    return { offset: this.offset };
  }

  restoreState(state: { offset: number }): void {
    this.restored = state.offset;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private emitLine(
    output: ReaderOutput<string>,
    chunk: Buffer,
    from: number,
    to: number,
    newline: 0 | 1,
  ): void {
    const lineEnd = to > from && chunk[to - 1] === 0x0d ? to - 1 : to; // tolerate CRLF
    this.offset += to - from + newline;
    output.collect(chunk.toString('utf8', from, lineEnd));
  }

  private firstLineAtOrAfter(start: number): number {
    if (start === 0) return 0;
    const probe = Buffer.allocUnsafe(1);
    if (readSync(this.fd, probe, 0, 1, start - 1) === 1 && probe[0] === NEWLINE) return start;
    let position = start;
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const read = readSync(this.fd, chunk, 0, CHUNK_BYTES, position);
      if (read === 0) return position;
      const nl = chunk.subarray(0, read).indexOf(NEWLINE);
      if (nl >= 0) return position + nl + 1;
      position += read;
    }
  }
}
