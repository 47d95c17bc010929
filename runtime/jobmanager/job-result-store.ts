import { z } from 'zod';
import { NotFoundError, StorageError } from '../errors';
import type { BlobStore } from '../storage/blob-store';

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
