import type { Sink } from '../../runtime/api';

/** Counts records and reports the count per subtask as a collected result. */
export function countingSink<T>(): Sink<T> {
  return {
    createWriter(ctx) {
      let count = 0;
      return { write: () => void count++, finish: () => ctx.emitResult(count) };
    },
  };
}
