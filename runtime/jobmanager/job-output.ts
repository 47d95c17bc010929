import type { BlobStore } from '../storage/blob-store';
import type { Logger } from '../util/logger';
import type { JobOutputPage, JobStatus } from './gateway';
import type { SpillingLogStats } from './spilling-log';
import { approxBytes } from '../util/approx-bytes';
import { SpillingLog } from './spilling-log';

export interface JobOutputOptions {
  /** Where output past the in-memory tail goes (`jobs/<jobId>/output/<attempt>/…`). */
  readonly store?: BlobStore;
  readonly logger: Logger;
  /** Per kind (lines, results): bytes per spilled segment (default 4 MiB). */
  readonly segmentBytes?: number;
  /** Per kind: in-memory bytes above which senders wait for a spill (default 16 MiB). */
  readonly maxMemoryBytes?: number;
}

/** Items per page; the client asks again from `nextLine` / `nextResult`. */
const PAGE_ITEMS = 10_000;

/**
 * What a job's print and collect sinks sent, kept for clients to page through from index 0,
 * however much the job prints: the newest output is kept in memory, older output is spilled
 * to the blob store in segments (see SpillingLog), so the job manager's memory stays bounded
 * and a client that never reads never blocks the job. Only the current attempt's output is
 * kept: without checkpoints a restarted job recomputes from the start, so the failed attempt's
 * output is superseded (clients see `attempt` change) and its segments are deleted.
 */
export class JobOutput {
  private lines: SpillingLog<string>;
  private results: SpillingLog<unknown>;
  attempt = 0;

  constructor(
    private readonly jobId: string,
    private readonly options: JobOutputOptions,
  ) {
    this.lines = this.log('lines');
    this.results = this.log('results');
  }

  reset(attempt: number): void {
    const old = [this.lines, this.results];
    this.attempt = attempt;
    this.lines = this.log('lines');
    this.results = this.log('results');
    for (const log of old) void log.close(true);
  }

  /** Appends in arrival order; resolves when the job manager can take more (memory bounded). */
  async add(attempt: number, lines?: readonly string[], results?: readonly unknown[]): Promise<void> {
    if (attempt !== this.attempt) return;
    const { lines: lineLog, results: resultLog } = this;
    if (lines?.length) lineLog.append(lines);
    if (results?.length) resultLog.append(results);
    await Promise.all([lineLog.whenWritable(), resultLog.whenWritable()]);
  }

  async page(fromLine: number, fromResult: number, status: JobStatus): Promise<JobOutputPage> {
    const [lines, results] = await Promise.all([
      this.lines.read(fromLine, PAGE_ITEMS),
      this.results.read(fromResult, PAGE_ITEMS),
    ]);
    return {
      lines: lines.items,
      results: results.items,
      nextLine: lines.next,
      nextResult: results.next,
      status,
      droppedLines: lines.droppedBefore,
      attempt: this.attempt,
    };
  }

  /** The attempt's output is complete (the job ended): nothing of it stays in memory. */
  seal(): void {
    this.lines.seal();
    this.results.seal();
  }

  stats(): { lines: SpillingLogStats; results: SpillingLogStats } {
    return { lines: this.lines.stats(), results: this.results.stats() };
  }

  private log<T>(kind: 'lines' | 'results'): SpillingLog<T> {
    return new SpillingLog<T>({
      ...(this.options.store ? { store: this.options.store } : {}),
      keyPrefix: `jobs/${this.jobId}/output/${this.attempt}/${kind}`,
      segmentBytes: this.options.segmentBytes ?? 4 * 1024 * 1024,
      maxMemoryBytes: this.options.maxMemoryBytes ?? 16 * 1024 * 1024,
      sizeOf: approxBytes,
      logger: this.options.logger,
    });
  }
}
