import type { JobDetails } from './types';

interface Sample {
  readonly at: number;
  readonly attempt: number;
  readonly counts: ReadonlyMap<string, { in: number; out: number }>;
}

export interface Rates {
  /** Records per second by vertex id, and by `<vertexId>/<subtask>`. */
  readonly byKey: ReadonlyMap<string, { in?: number; out?: number }>;
}

/**
 * Records per second from two successive answers of `GET /jobs/:id`. No rate across a restart
 * (counters start over) or before the second answer.
 */
export class RateTracker {
  private previous: Sample | undefined;
  private current: Rates = { byKey: new Map() };

  update(job: JobDetails, at: number): Rates {
    const counts = new Map<string, { in: number; out: number }>();
    for (const v of job.vertices) {
      counts.set(v.id, { in: v.recordsIn, out: v.recordsOut });
      for (const s of v.subtasks) counts.set(`${v.id}/${s.subtask}`, { in: s.recordsIn, out: s.recordsOut });
    }
    const prev = this.previous;
    if (prev && at === prev.at) return this.current;
    const byKey = new Map<string, { in?: number; out?: number }>();
    if (prev && prev.attempt === job.attempt && at > prev.at) {
      const seconds = (at - prev.at) / 1000;
      for (const [key, c] of counts) {
        const p = prev.counts.get(key);
        if (!p || c.in < p.in || c.out < p.out) continue;
        byKey.set(key, { in: (c.in - p.in) / seconds, out: (c.out - p.out) / seconds });
      }
    }
    this.previous = { at, attempt: job.attempt, counts };
    this.current = { byKey };
    return this.current;
  }
}
