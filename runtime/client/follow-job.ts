import { setTimeout as sleep } from 'node:timers/promises';
import { NetworkError, NotLeaderError } from '../errors';
import type { JobDetails, JobOutputPage, JobStatus } from '../jobmanager/gateway';
import { TERMINAL_JOB_STATUSES } from '../jobmanager/gateway';
import type { RequestOptions } from './rest-client';

/** The calls following needs; `RestClient` has them (and so does any gateway, for tests). */
export interface JobFollowSource {
  jobOutput(
    jobId: string,
    fromLine: number,
    fromResult: number,
    options?: RequestOptions,
  ): Promise<JobOutputPage>;
  getJob(jobId: string, options?: RequestOptions): Promise<JobDetails>;
}

export interface FollowJobOptions {
  /** Wait between polls that brought nothing new (default 300 ms). */
  readonly pollIntervalMs?: number;
  /** Job details are fetched on every status change and at least this often, to see restarts (default 2 s). */
  readonly detailsIntervalMs?: number;
  /**
   * How long the job manager may stay unreachable (restart, failover) before following gives
   * up (default 60 s: a failover at the default 15 s lease, recovery included, fits well).
   */
  readonly networkGraceMs?: number;
  /** Aborting stops following (the job keeps running); the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly onLines?: (lines: string[]) => void;
  /** A status change, a restart or a new status detail (`waiting for slots: …`), with the details that show it. */
  readonly onStatus?: (details: JobDetails, change: { previous?: JobStatus; restarted: boolean }) => void;
  /** The job manager dropped `count` more lines because the job printed more than it keeps. */
  readonly onDropped?: (count: number) => void;
  /**
   * The job restarted from scratch (attempt `attempt`): its output starts over, the lines
   * already shown belong to the failed attempt and the results gathered so far are dropped.
   */
  readonly onOutputRestart?: (attempt: number) => void;
  /**
   * The job manager stopped answering, or answered that no leader can serve yet (a failover):
   * following retries until `networkGraceMs` has passed.
   */
  readonly onNetworkError?: (err: NetworkError | NotLeaderError) => void;
}

export interface FollowedJob {
  /** Details of the job in its terminal state. */
  readonly details: JobDetails;
  /** Everything the job's collect sinks sent, in order. */
  readonly results: unknown[];
}

/**
 * Follows a submitted job until it ends: pages through its output (lines as they come,
 * results gathered) and reports status changes and restarts. Returns once the job is in a
 * terminal state and its output has been read to the end.
 */
export async function followJob(
  source: JobFollowSource,
  jobId: string,
  options: FollowJobOptions = {},
): Promise<FollowedJob> {
  const pollIntervalMs = options.pollIntervalMs ?? 300;
  const detailsIntervalMs = options.detailsIntervalMs ?? 2_000;
  const request = { signal: options.signal };
  const retrying = retrier(options);
  const results: unknown[] = [];
  let fromLine = 0;
  let fromResult = 0;
  let dropped = 0;
  let attempt: number | undefined;
  let seen: { status: JobStatus; restarts: number; detail?: string } | undefined;
  let detailsAt = 0;
  let details: JobDetails | undefined;
  for (;;) {
    const page = await retrying(() => source.jobOutput(jobId, fromLine, fromResult, request));
    if (attempt !== undefined && page.attempt !== attempt && (fromLine > 0 || fromResult > 0)) {
      // Output of a restarted attempt: read it again from its start.
      attempt = page.attempt;
      results.length = 0;
      fromLine = 0;
      fromResult = 0;
      dropped = 0;
      options.onOutputRestart?.(page.attempt);
      continue;
    }
    attempt = page.attempt;
    if (page.lines.length > 0) options.onLines?.(page.lines);
    results.push(...page.results);
    if (page.droppedLines > dropped) options.onDropped?.(page.droppedLines - dropped);
    dropped = Math.max(dropped, page.droppedLines);
    const progressed = page.nextLine !== fromLine || page.nextResult !== fromResult;
    fromLine = page.nextLine;
    fromResult = page.nextResult;

    const ending = TERMINAL_JOB_STATUSES.has(page.status) && !progressed;
    if (ending || page.status !== seen?.status || Date.now() - detailsAt >= detailsIntervalMs) {
      details = await retrying(() => source.getJob(jobId, request));
      detailsAt = Date.now();
      if (
        details.status !== seen?.status ||
        details.restarts !== seen.restarts ||
        details.statusDetail !== seen.detail
      ) {
        const change = {
          ...(seen ? { previous: seen.status } : {}),
          restarted: details.restarts > (seen?.restarts ?? 0),
        };
        seen = { status: details.status, restarts: details.restarts, detail: details.statusDetail };
        options.onStatus?.(details, change);
      }
    }
    // Terminal and nothing left to read; the details were fetched after the end.
    if (ending && details && TERMINAL_JOB_STATUSES.has(details.status)) return { details, results };
    if (!progressed) await sleep(pollIntervalMs, undefined, { signal: options.signal });
  }
}

/** Retries calls that fail with a NetworkError until the grace period (counted from the first failure in a row) ends. */
function retrier(options: FollowJobOptions): <T>(call: () => Promise<T>) => Promise<T> {
  const graceMs = options.networkGraceMs ?? 60_000;
  const pauseMs = Math.max(options.pollIntervalMs ?? 300, 200);
  let failingSince: number | undefined;
  return async (call) => {
    for (;;) {
      try {
        const value = await call();
        failingSince = undefined;
        return value;
      } catch (err) {
        // Unreachable, or reachable but without a leader to serve yet: both pass with a failover.
        const transient = err instanceof NetworkError || err instanceof NotLeaderError;
        if (!transient || options.signal?.aborted) throw err;
        failingSince ??= Date.now();
        if (Date.now() - failingSince >= graceMs) throw err;
        options.onNetworkError?.(err);
        await sleep(pauseMs, undefined, { signal: options.signal });
      }
    }
  };
}
