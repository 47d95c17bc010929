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
