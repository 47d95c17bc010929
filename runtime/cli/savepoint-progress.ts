import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckpointSummaryStats } from '../checkpoint/checkpoint-stats';
import type { SavepointRequestStatus, SavepointRequests } from '../client/savepoint-requests';
import { SluiceError, NotFoundError } from '../errors';
import type { SluiceErrorCode } from '../errors';
import { CliExit } from './cli-exit';
import { formatBytes, formatDuration } from './format';
import { DETACHED_BY_SIGINT_EXIT_CODE } from './run-on-cluster';

/** How often a request's status (and the job's checkpoint statistics) are asked for. */
const POLL_INTERVAL_MS = 250;

export interface SavepointWait {
  /** What is awaited, for messages: `savepoint of job 3f…`, `stop of job 3f…`. */
  readonly what: string;
  readonly requestId: string;
  /** Where its status can be read, told when Ctrl-C stops waiting. */
  readonly statusRoute: string;
  readonly status: () => Promise<SavepointRequestStatus>;
  /** The savepoint's checkpoint statistics while in progress (undefined until it shows). */
  readonly progress?: () => Promise<CheckpointSummaryStats | undefined>;
  readonly pollIntervalMs?: number;
}

/** `3/6 subtasks acknowledged, 12.0 KiB uploaded`. */
export function formatSavepointProgress(stats: CheckpointSummaryStats): string {
  return `${stats.acknowledgedSubtasks}/${stats.totalSubtasks} subtasks acknowledged, ${formatBytes(stats.stateSize)} uploaded`;
}

/**
 * Follows an asynchronous savepoint request (savepoint, stop, cancel with savepoint, disposal)
 * until it ended, telling progress on stderr: a line rewritten in place on a terminal, a plain
 * line each time it changed otherwise. Resolves with the location; throws the failure's cause
 * with its code; Ctrl-C stops waiting (the request goes on): exit 130.
 */
export async function awaitSavepointRequest(wait: SavepointWait): Promise<string> {
  const tty = process.stderr.isTTY === true;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const started = Date.now();
  let shown = '';
  try {
    if (!tty) console.error(`${wait.what} triggered (request ${wait.requestId}), waiting for it`);
    for (;;) {
      const status = await wait.status();
      if (status.status === 'COMPLETED') return status.location;
      if (status.status === 'FAILED') throw failureOf(wait.what, status.failureCause);
      const stats = await wait.progress?.().catch(() => undefined);
      const line = `${wait.what} in progress${stats ? `: ${formatSavepointProgress(stats)}` : '…'}`;
      if (tty) process.stderr.write(`\r\x1b[K${line} ${formatDuration(Date.now() - started)}`);
      else if (line !== shown) console.error(line);
      shown = line;
      await sleep(wait.pollIntervalMs ?? POLL_INTERVAL_MS, undefined, { signal: controller.signal });
    }
  } catch (err) {
    if (tty && shown) process.stderr.write('\r\x1b[K');
    if (err instanceof NotFoundError && !controller.signal.aborted) {
      throw new NotFoundError(
        `the job manager no longer knows request ${wait.requestId} (${wait.what}; did it restart?): ${err.message}`,
      );
    }
    if (!controller.signal.aborted) throw err;
    console.error(`stopped waiting: the ${wait.what} goes on; its status: GET ${wait.statusRoute}`);
    throw new CliExit(DETACHED_BY_SIGINT_EXIT_CODE);
  } finally {
    if (tty && shown) process.stderr.write('\r\x1b[K');
    process.removeListener('SIGINT', onSigint);
  }
}

function failureOf(what: string, cause: { code: string; message: string }): SluiceError {
  const code = /^SLUICE_[A-Z_]+$/.test(cause.code) ? (cause.code as SluiceErrorCode) : 'SLUICE_INTERNAL';
  return new SluiceError(code, `${what} failed: ${cause.message}`);
}

/**
 * Starts a savepoint request of a job with `start` and follows it to its location, with progress
 * from the job's checkpoint statistics: the savepoint is the first one with an id above every
 * checkpoint the job had before the request (no clock is compared).
 */
export async function requestJobSavepoint(
  requests: SavepointRequests,
  jobId: string,
  what: string,
  start: () => Promise<string>,
): Promise<string> {
  const { client } = requests;
  // An unknown job is a 404 naming it before anything is triggered.
  await client.getJob(jobId);
  const before = await client.checkpointStats(jobId).catch(() => undefined);
  const afterId = Math.max(0, ...(before?.history.map((c) => c.id) ?? []));
  const requestId = await start();
  return awaitSavepointRequest({
    what,
    requestId,
    statusRoute: `/jobs/${jobId}/savepoints/${requestId}`,
    status: () => requests.status(jobId, requestId),
    progress: async () =>
      (await client.checkpointStats(jobId)).history.find((c) => c.kind === 'savepoint' && c.id > afterId),
  });
}
