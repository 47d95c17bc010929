import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { NotFoundError, StorageError } from '../errors';
import type { BlobStore } from '../storage/blob-store';
import type { Logger } from '../util/logger';

/** Attempts at writing a result before giving up (about 40 s with the backoff below). */
const RECORD_ATTEMPTS = 12;
const RECORD_BACKOFF_MAX_MS = 5_000;

/**
 * The outcome of a job that reached a globally terminal status, kept in the blob store (the
 * system of record, docs/architecture.md §9) at `jobs/<jobId>/result.json`, as Flink's
 * JobResultStore: a job manager that takes over must not run a job that has a result again.
 */
export interface JobResult {
  readonly jobId: string;
  readonly name: string;
  readonly status: 'FINISHED' | 'FAILED' | 'CANCELED';
  readonly startTime: number;
  readonly endTime: number;
  readonly restarts: number;
}

const jobResultSchema = z.object({
  jobId: z.string(),
  name: z.string(),
  status: z.enum(['FINISHED', 'FAILED', 'CANCELED']),
  startTime: z.number(),
  endTime: z.number(),
  restarts: z.number().int().nonnegative(),
});

/** Blob key of a job's result. */
export function jobResultKey(jobId: string): string {
  return `jobs/${jobId}/result.json`;
}

export class JobResultStore {
  constructor(private readonly blobStore: BlobStore) {}

  /** Stores the result (replacing none: a job ends once). */
  async record(result: JobResult): Promise<void> {
    await this.blobStore.put(jobResultKey(result.jobId), `${JSON.stringify(result, null, 2)}\n`, {
      contentType: 'application/json',
    });
  }

  /** Ids of every job that has a result, sorted. */
  async jobIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const key of await this.blobStore.list('jobs/')) {
      const jobId = /^jobs\/([0-9a-f]{32})\/result\.json$/.exec(key)?.[1];
      if (jobId !== undefined) ids.push(jobId);
    }
    return ids.sort();
  }

  /** The job's result, or undefined when it has none (not ended, or unknown). */
  async get(jobId: string): Promise<JobResult | undefined> {
    const key = jobResultKey(jobId);
    let bytes: Uint8Array;
    try {
      bytes = await this.blobStore.get(key);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (err) {
      throw new StorageError(`job result ${key} is not JSON`, { cause: err });
    }
    const result = jobResultSchema.safeParse(parsed);
    if (!result.success || result.data.jobId !== jobId)
      throw new StorageError(`job result ${key} is not a result of job ${jobId}`);
    return result.data;
  }
}

/**
 * Writes `result` as the leader: `assertLeader` runs before every attempt, so only a current
 * leader writes. A lost result would let the next leader run the ended job again, so transient
 * failures (the blob store or Redis briefly unreachable) are retried with backoff; each failure
 * is logged with its cause. Resolves whether it was stored.
 */
export async function recordJobResult(
  store: JobResultStore,
  result: JobResult,
  assertLeader: () => Promise<void>,
  logger: Logger,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await assertLeader();
      await store.record(result);
      return true;
    } catch (err) {
      const jobId = result.jobId;
      if (attempt >= RECORD_ATTEMPTS) {
        logger.error({ jobId, err, attempt }, 'storing the job result failed; giving up');
        return false;
      }
      logger.warn({ jobId, err, attempt }, 'storing the job result failed; retrying');
      await sleep(Math.min(100 * 2 ** attempt, RECORD_BACKOFF_MAX_MS));
    }
  }
}
