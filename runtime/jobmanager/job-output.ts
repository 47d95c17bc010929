import type { JobOutputPage, JobStatus } from './gateway';

/**
 * What a job's print and collect sinks sent, kept for clients to page through. Only the
 * current attempt's output is kept: without checkpoints a restarted job recomputes from the
 * start, so the failed attempt's output is superseded (clients see `attempt` change).
 * Bounded: past `maxLines` the oldest lines are dropped and counted.
 */
export class JobOutput {
  private lines: string[] = [];
  private results: unknown[] = [];
  private firstLine = 0;
  private dropped = 0;
  attempt = 0;

  constructor(
    private readonly maxLines = 200_000,
    private readonly maxResults = 200_000,
  ) {}

  reset(attempt: number): void {
    this.lines = [];
    this.results = [];
    this.firstLine = 0;
    this.dropped = 0;
    this.attempt = attempt;
  }

  addLines(lines: readonly string[]): void {
    for (const line of lines) this.lines.push(line);
    const excess = this.lines.length - this.maxLines;
    if (excess > 0) {
      this.lines.splice(0, excess);
      this.firstLine += excess;
      this.dropped += excess;
    }
  }

  addResults(values: readonly unknown[]): void {
    if (this.results.length + values.length > this.maxResults) {
      this.dropped += values.length;
      return;
    }
    for (const v of values) this.results.push(v);
  }

  page(fromLine: number, fromResult: number, status: JobStatus, maxItems = 10_000): JobOutputPage {
    const start = Math.max(fromLine, this.firstLine) - this.firstLine;
    const lines = this.lines.slice(start, start + maxItems);
    const results = this.results.slice(fromResult, fromResult + maxItems);
    return {
      lines,
      results,
      nextLine: this.firstLine + start + lines.length,
      nextResult: Math.min(this.results.length, fromResult + results.length),
      status,
      droppedLines: this.dropped,
      attempt: this.attempt,
    };
  }
}
