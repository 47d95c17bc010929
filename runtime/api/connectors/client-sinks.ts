import type { Sink } from '../sink';

/** Text of a record as `print` shows it: strings as they are, everything else as JSON. */
export function formatRecord(record: unknown): string {
  if (typeof record === 'string') return record;
  if (typeof record === 'bigint') return record.toString();
  return JSON.stringify(record) ?? String(record);
}

/** Each record becomes a line of output on the client that runs the job. */
export function printSink<T>(): Sink<T> {
  return { createWriter: (ctx) => ({ write: (record) => ctx.emitOutput(formatRecord(record)) }) };
}

/** Each record is sent back to the client that runs the job (for small results and tests). */
export function collectSink<T>(): Sink<T> {
  return { createWriter: (ctx) => ({ write: (record) => ctx.emitResult(record) }) };
}
