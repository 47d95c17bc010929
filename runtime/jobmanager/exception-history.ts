import type { SerializedError } from '../error-wire';

/** Flink's `web.exception-history-size` default: the failures a job keeps for the REST API. */
export const EXCEPTION_HISTORY_SIZE = 16;

/** Where a failure happened, when it was one task's or one TaskManager's. */
export interface FailureLocation {
  readonly vertexId?: string;
  /** `'<vertex name> (<subtask + 1>/<parallelism>)'`, as Flink names tasks. */
  readonly taskName?: string;
  readonly subtask?: number;
  readonly taskManagerId?: string;
  readonly operatorName?: string;
}

/** One failed attempt, in the shape of Flink's `exceptionHistory.entries[]` (plus Sluice's attempt). */
export interface ExceptionEntry extends FailureLocation {
  readonly exceptionName: string;
  readonly message: string;
  readonly stacktrace?: string;
  readonly code?: string;
  readonly timestamp: number;
  /** The attempt that failed (0 is the first run). */
  readonly attempt: number;
}

export interface JobExceptions {
  readonly exceptionHistory: { readonly entries: ExceptionEntry[]; readonly truncated: boolean };
  /** The latest failure (Flink's `root-exception` and `timestamp`), absent before any. */
  readonly rootException?: string;
  readonly timestamp?: number;
}

/** A job's failures, newest first, bounded: past `maxEntries` the oldest are dropped and counted. */
export class ExceptionHistory {
  private readonly entries: ExceptionEntry[] = [];
  private dropped = 0;

  constructor(private readonly maxEntries = EXCEPTION_HISTORY_SIZE) {}

  add(error: SerializedError, attempt: number, location: FailureLocation, timestamp = Date.now()): void {
    this.entries.unshift({
      exceptionName: error.name,
      message: error.message,
      ...(error.stack ? { stacktrace: error.stack } : {}),
      ...(error.code ? { code: error.code } : {}),
      ...(error.operatorName ? { operatorName: error.operatorName } : {}),
      ...location,
      timestamp,
      attempt,
    });
    if (this.entries.length > this.maxEntries) {
      this.entries.pop();
      this.dropped++;
    }
  }

  view(): JobExceptions {
    const latest = this.entries[0];
    return {
      exceptionHistory: { entries: [...this.entries], truncated: this.dropped > 0 },
      ...(latest
        ? { rootException: `${latest.exceptionName}: ${latest.message}`, timestamp: latest.timestamp }
        : {}),
    };
  }
}
