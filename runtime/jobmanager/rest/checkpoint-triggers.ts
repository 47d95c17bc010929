import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, SluiceError } from '../../errors';

/** `GET /jobs/:id/checkpoints/:requestId`: where a triggered checkpoint stands. */
export type CheckpointTriggerStatus =
  | { readonly requestId: string; readonly status: 'IN_PROGRESS' }
  | {
      readonly requestId: string;
      readonly status: 'COMPLETED';
      readonly checkpointId: number;
      readonly externalPath: string;
    }
  | {
      readonly requestId: string;
      readonly status: 'FAILED';
      readonly failureCause: { readonly code: string; readonly message: string };
    };

export interface CheckpointTriggersOptions {
  /** How long a finished trigger stays readable (Flink's `rest.async.store-duration`, 5 min). */
  readonly retentionMs?: number;
  /** Most triggers kept at once; past it finished ones are dropped oldest first. */
  readonly maxRecords?: number;
  readonly now?: () => number;
  /**
   * Told about every trigger that failed, for the log; `unexpected` when the error is not one
   * of Sluice's (a bug: its message is not shown to the client).
   */
  readonly onFailure?: (failure: {
    jobId: string;
    requestId: string;
    err: unknown;
    unexpected: boolean;
  }) => void;
}

interface TriggerRecord {
  readonly jobId: string;
  status: CheckpointTriggerStatus;
  /** When it finished (epoch ms); absent while in progress. */
  finishedAt?: number;
}

export const CHECKPOINT_TRIGGER_RETENTION_MS = 5 * 60_000;
export const MAX_CHECKPOINT_TRIGGERS = 1_000;

/**
 * The records behind Flink's asynchronous trigger pattern: `POST` answers at once with a
 * request id, the checkpoint runs on, and `GET …/:requestId` reads how it ended. Bounded (a
 * client that triggers in a loop cannot grow it without limit) and expiring: a finished record
 * is kept for `retentionMs`, then forgotten.
 */
export class CheckpointTriggers {
  private readonly records = new Map<string, TriggerRecord>();
  private readonly retentionMs: number;
  private readonly maxRecords: number;
  private readonly now: () => number;

  constructor(private readonly options: CheckpointTriggersOptions = {}) {
    this.retentionMs = options.retentionMs ?? CHECKPOINT_TRIGGER_RETENTION_MS;
    this.maxRecords = options.maxRecords ?? MAX_CHECKPOINT_TRIGGERS;
    this.now = options.now ?? Date.now;
  }

  /**
   * Starts a trigger of `jobId` with `start` and records its outcome; returns the request id.
   * `ConflictError` (and `start` is not called) when `maxRecords` triggers are in progress.
   */
  track(jobId: string, start: () => Promise<{ checkpointId: number; externalPath: string }>): string {
    this.expire();
    this.makeRoom();
    if (this.records.size >= this.maxRecords) {
      throw new ConflictError(
        `${this.records.size} checkpoint triggers are still in progress; wait for them before triggering more`,
      );
    }
    const requestId = randomUUID();
    const record: TriggerRecord = { jobId, status: { requestId, status: 'IN_PROGRESS' } };
    this.records.set(requestId, record);
    // A start that throws instead of rejecting fails the record the same way.
    new Promise<{ checkpointId: number; externalPath: string }>((resolve) => resolve(start())).then(
      ({ checkpointId, externalPath }) => {
        record.status = { requestId, status: 'COMPLETED', checkpointId, externalPath };
        record.finishedAt = this.now();
      },
      (err: unknown) => {
        const expected = err instanceof SluiceError && err.code !== 'SLUICE_INTERNAL';
        this.options.onFailure?.({ jobId, requestId, err, unexpected: !expected });
        const failureCause = expected
          ? { code: err.code, message: err.message }
          : { code: 'SLUICE_INTERNAL', message: 'the checkpoint failed inside the job manager; see its log' };
        record.status = { requestId, status: 'FAILED', failureCause };
        record.finishedAt = this.now();
      },
    );
    return requestId;
  }

  /** The trigger's status. `NotFoundError` for an id this job never had, or one that expired. */
  status(jobId: string, requestId: string): CheckpointTriggerStatus {
    this.expire();
    const record = this.records.get(requestId);
    if (!record || record.jobId !== jobId) {
      throw new NotFoundError(
        `job ${jobId} has no checkpoint request ${requestId} (finished requests are kept ${Math.round(this.retentionMs / 1000)} s)`,
      );
    }
    return record.status;
  }

  /** How many triggers are kept (in progress or finished and not yet expired). */
  get size(): number {
    this.expire();
    return this.records.size;
  }

  /** Drops the finished records older than the retention. */
  private expire(): void {
    const now = this.now();
    for (const [id, record] of this.records) {
      if (record.finishedAt !== undefined && now - record.finishedAt >= this.retentionMs)
        this.records.delete(id);
    }
  }

  /** At the bound, drops the oldest finished records until one more fits. */
  private makeRoom(): void {
    if (this.records.size < this.maxRecords) return;
    const finished = [...this.records].filter(([, r]) => r.finishedAt !== undefined);
    finished.sort(([, a], [, b]) => a.finishedAt! - b.finishedAt!);
    for (const [id] of finished) {
      if (this.records.size < this.maxRecords) break;
      this.records.delete(id);
    }
  }
}
