import { CheckpointFailedError } from '../errors';

/**
 * Counts checkpoint failures in a row (Flink's CheckpointFailureManager): once more than
 * `execution.checkpointing.tolerable-failed-checkpoints` failed one after another, the attempt
 * fails over, once. A completed checkpoint resets the count.
 */
export class CheckpointFailureManager {
  private consecutive = 0;
  private failed = false;

  constructor(
    private readonly tolerable: number,
    private readonly failAttempt: (error: CheckpointFailedError) => void,
  ) {}

  /** Whether this manager has failed the attempt over already. */
  get failedOver(): boolean {
    return this.failed;
  }

  onCompleted(): void {
    this.consecutive = 0;
  }

  /** A checkpoint that counts as failed (declined, timed out, not stored); `message` says why. */
  onFailed(message: string): void {
    this.consecutive++;
    if (this.consecutive <= this.tolerable || this.failed) return;
    this.failed = true;
    this.failAttempt(
      new CheckpointFailedError(
        `${this.consecutive} checkpoints failed in a row, more than execution.checkpointing.tolerable-failed-checkpoints (${this.tolerable}); last: ${message}`,
      ),
    );
  }
}
