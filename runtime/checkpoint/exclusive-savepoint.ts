import { ConflictError } from '../errors';

/** A savepoint that ends the job (stop-with-savepoint, cancel-with-savepoint). */
export type ExclusiveSavepointKind = 'stop' | 'cancel';

/**
 * Lets a savepoint that ends the job run with no other checkpoint beside it, as Flink stops its
 * checkpoint scheduler first: a periodic checkpoint could commit what follows the savepoint, and
 * a final one's barrier would supersede it (docs/architecture.md §8). Once such a savepoint
 * completed nothing starts any more (the job ends); if it failed, the job goes on.
 */
export class ExclusiveSavepoint {
  private running: ExclusiveSavepointKind | undefined;

  constructor(
    private readonly jobId: string,
    /** Called when one failed: other checkpoints may start again. */
    private readonly released: () => void,
  ) {}

  /** Whether one runs or completed: other checkpoints wait. */
  get held(): boolean {
    return this.running !== undefined;
  }

  get kind(): ExclusiveSavepointKind | undefined {
    return this.running;
  }

  /** Refuses another checkpoint or savepoint (`ConflictError`) while one runs or after it completed. */
  refuseOthers(): void {
    if (this.running === 'stop')
      throw new ConflictError(`job ${this.jobId} is being stopped with a savepoint`);
    if (this.running === 'cancel')
      throw new ConflictError(`job ${this.jobId} is being canceled with a savepoint`);
  }

  async run<T>(kind: ExclusiveSavepointKind, take: () => Promise<T>): Promise<T> {
    this.running = kind;
    try {
      return await take();
    } catch (err) {
      this.running = undefined;
      this.released();
      throw err;
    }
  }
}
