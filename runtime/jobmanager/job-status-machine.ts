import { IllegalStateTransitionError } from '../errors';
import type { JobStatus } from './gateway';

/**
 * The job statuses a job master may move between (Flink's JobStatus). A failed attempt moves
 * to RESTARTING when the restart strategy allows another attempt, else to FAILING while its
 * tasks are canceled, then FAILED. A cancel moves to CANCELLING until the tasks are gone.
 * Terminal statuses have no way out. SUSPENDED (a job manager losing leadership) arrives with
 * high availability (issue 10).
 */
export const JOB_STATUS_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = Object.freeze({
  // Slots are allocated while CREATED; a first attempt may fail before it runs.
  CREATED: ['RUNNING', 'RESTARTING', 'FAILING', 'CANCELLING'],
  RUNNING: ['FINISHED', 'RESTARTING', 'FAILING', 'CANCELLING'],
  // A restarted attempt that fails before it runs (no slots yet) restarts again or fails.
  RESTARTING: ['RUNNING', 'RESTARTING', 'FAILING', 'CANCELLING'],
  // A cancel while failing wins: the job ends CANCELED, its failure kept for the record.
  FAILING: ['FAILED', 'CANCELLING'],
  CANCELLING: ['CANCELED'],
  FINISHED: [],
  FAILED: [],
  CANCELED: [],
});

export function isLegalJobTransition(from: JobStatus, to: JobStatus): boolean {
  return JOB_STATUS_TRANSITIONS[from].includes(to);
}

/** A job's status, changed only along `JOB_STATUS_TRANSITIONS`. */
export class JobStatusMachine {
  private current: JobStatus = 'CREATED';

  constructor(private readonly jobId: string) {}

  get status(): JobStatus {
    return this.current;
  }

  /** @throws IllegalStateTransitionError when the table does not allow the move. */
  transitionTo(to: JobStatus): void {
    if (!isLegalJobTransition(this.current, to))
      throw new IllegalStateTransitionError(this.current, to, `job ${this.jobId}`);
    this.current = to;
  }
}
