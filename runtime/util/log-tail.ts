/**
 * The tail of a process's own log, kept in memory so it can be served over the control channel
 * (`GET /taskmanagers/:id/logs`) wherever the process runs: a local child writing to a file, an
 * ECS task logging to CloudWatch, a test process. Bounded by lines and bytes; the oldest lines
 * go first. Nothing is read from disk, so no request ever names a path.
 */
export class LogTail {
  private lines: string[] = [];
  private bytes = 0;
  private dropped = 0;
  private partial = '';

  constructor(
    readonly maxLines = 1_000,
    readonly maxBytes = 256 * 1024,
    /** Longer lines are cut: one huge line must not evict the whole tail. */
    readonly maxLineLength = 8 * 1024,
  ) {}

  /** Appends written text; lines are completed at '\n', escape sequences (colours) removed. */
  append(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = (parts.pop() ?? '').slice(0, this.maxLineLength);
    for (const part of parts) this.push(part);
  }

  /** The last `count` complete lines, oldest first, and how many lines were dropped before them. */
  tail(count = this.maxLines): { lines: string[]; droppedLines: number } {
    const n = Math.max(0, Math.min(count, this.lines.length));
    return {
      lines: this.lines.slice(this.lines.length - n),
      droppedLines: this.dropped + this.lines.length - n,
    };
  }

  private push(raw: string): void {
    let line = raw.replace(/\u001b\[[0-9;]*m/g, '').replace(/\r$/, '');
    if (line.length > this.maxLineLength) line = `${line.slice(0, this.maxLineLength)}…`;
    this.lines.push(line);
    this.bytes += line.length;
    while (this.lines.length > this.maxLines || (this.bytes > this.maxBytes && this.lines.length > 1)) {
      this.bytes -= this.lines.shift()!.length;
      this.dropped++;
    }
  }
}

let processTail: LogTail | undefined;

/** A pino destination feeding the captured tail; writes nothing while none is captured. */
export const logTailStream = {
  write(line: string): void {
    processTail?.append(line);
  },
};

/**
 * Starts keeping the tail of this process's log (idempotent) and returns it: every logger's
 * lines (see `util/logger.ts`) and whatever else reaches stdout and stderr (task threads'
 * output, crash reports). The streams are teed, not redirected: output still goes where it
 * went (a terminal, a log file, the container's log driver).
 */
export function captureProcessLog(): LogTail {
  if (processTail) return processTail;
  const tail = new LogTail();
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
      tail.append(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
  processTail = tail;
  return tail;
}
