import { StorageError } from '../errors';
import type { BlobStore } from '../storage/blob-store';
import type { JobSubmission } from './gateway';
import { jobResultKey } from './job-result-store';
import { jobSubmissionSchema } from './rest/rest-schemas';

/** What is kept of a submitted job: enough for any job manager to run it again (§9). */
export interface JobRecord {
  readonly jobId: string;
  /** When the job was first submitted (epoch ms); kept across failovers. */
  readonly submittedAt: number;
  /** The submission as accepted: job graph, artifact hash (the bundle is at `artifacts/<sha256>.js`), args. */
  readonly submission: JobSubmission;
}

/** Blob key of a job's record. */
export function jobRecordKey(jobId: string): string {
  return `jobs/${jobId}/job.json`;
}

const JOB_ID = /^[0-9a-f]{32}$/;

/**
 * Submitted jobs in the blob store, the system of record (docs/architecture.md §9, Flink's
 * JobGraphStore): `jobs/<jobId>/job.json` is written before a job first runs, next to the job
 * result (`result.json`) written once it ended. A job with a record and no result is unfinished:
 * a new leader runs it again from its latest completed checkpoint.
 */
export class JobGraphStore {
  constructor(private readonly blobStore: BlobStore) {}

  /** Stores a job's record (the caller fences the write). */
  async put(record: JobRecord): Promise<void> {
    await this.blobStore.put(jobRecordKey(record.jobId), `${JSON.stringify(record)}\n`, {
      contentType: 'application/json',
      metadata: { kind: 'job-record' },
    });
  }

  /**
   * Reads and validates one record.
   * @throws NotFoundError when there is none; StorageError naming the key when it does not parse.
   */
  async get(jobId: string): Promise<JobRecord> {
    const key = jobRecordKey(jobId);
    const bytes = await this.blobStore.get(key);
    let parsed: { jobId?: unknown; submittedAt?: unknown; submission?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof parsed;
    } catch (err) {
      throw new StorageError(`job record ${key} is not JSON`, { cause: err });
    }
    const submission = jobSubmissionSchema.safeParse(parsed.submission);
    if (parsed.jobId !== jobId || typeof parsed.submittedAt !== 'number' || !submission.success)
      throw new StorageError(`job record ${key} is not a valid record of job ${jobId}`);
    return { jobId, submittedAt: parsed.submittedAt, submission: submission.data };
  }

  /** Ids of the jobs that have a record but no result: the ones a new leader must recover. */
  async unfinishedJobIds(): Promise<string[]> {
    const keys = new Set(await this.blobStore.list('jobs/'));
    const ids: string[] = [];
    for (const key of keys) {
      const match = /^jobs\/([^/]+)\/job\.json$/.exec(key);
      const jobId = match?.[1];
      if (jobId !== undefined && JOB_ID.test(jobId) && !keys.has(jobResultKey(jobId))) ids.push(jobId);
    }
    return ids.sort();
  }
}
