import { CheckpointFailedError } from '../errors';

/**
 * Hands out checkpoint ids (Flink's CheckpointIDCounter): increasing per job, never reused,
 * shared by every job manager that may run the job (Redis in a cluster, so the HA issue can
 * reuse it; in memory for embedded runs).
 */
export interface CheckpointIdCounter {
  /**
   * The next id of `jobId`, greater than every id handed out before and than `floor` (the
   * latest completed checkpoint found in storage: a counter that was lost never goes back).
   */
  next(jobId: string, floor: number): Promise<number>;
  /** Forgets a job's counter once the job ended for good. */
  discard(jobId: string): Promise<void>;
  close(): Promise<void>;
}

export class InMemoryCheckpointIdCounter implements CheckpointIdCounter {
  private readonly last = new Map<string, number>();

  async next(jobId: string, floor: number): Promise<number> {
    const id = Math.max(this.last.get(jobId) ?? 0, floor) + 1;
    this.last.set(jobId, id);
    return id;
  }

  async discard(jobId: string): Promise<void> {
    this.last.delete(jobId);
  }

  async close(): Promise<void> {}
}

/**
 * One coordinator's ids from the shared counter: each above every id it issued and every
 * checkpoint found in storage, whatever the counter says. A counter that lost its value (Redis
 * restarted empty) would otherwise hand out the id of a checkpoint still in progress a second
 * time, and that checkpoint's abort would delete the other's files (docs/architecture.md §9).
 */
export class CheckpointIdIssuer {
  constructor(
    private readonly counter: CheckpointIdCounter,
    private readonly jobId: string,
    /** The highest id in storage, completed or not. */
    private highest: number,
  ) {}

  /** @throws CheckpointFailedError when the counter hands out an id that is not above the highest. */
  async next(): Promise<number> {
    const id = await this.counter.next(this.jobId, this.highest);
    if (id <= this.highest)
      throw new CheckpointFailedError(
        `the checkpoint id counter handed out ${id}, not above ${this.highest}: checkpoint not started`,
      );
    this.highest = id;
    return id;
  }
}
