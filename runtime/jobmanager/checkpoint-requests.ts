import type { StopMode } from '../checkpoint/checkpointing-mode';
import { CheckpointFailedError, ConflictError } from '../errors';
import { serializeError } from '../error-wire';
import { AttemptFailure } from './attempt-failure';
import type { JobStatus } from './gateway';
import type { JobCheckpoints } from './job-checkpoints';

/** What checkpoint requests need of their job master. */
export interface CheckpointedJob {
  readonly jobId: string;
  status(): JobStatus;
  attempt(): number;
  cancel(): void;
  /** Fails `attempt` if it is still the running one (the restart strategy then decides). */
  failAttempt(attempt: number, failure: AttemptFailure): void;
  whenTerminal(): Promise<void>;
}

type Location = { checkpointId: number; externalPath: string };

/**
 * Checkpoints a user asks for (REST, CLI, dashboard): a manual checkpoint, a savepoint (also
 * with cancel), and stop-with-savepoint, each refused with `ConflictError` unless the job is
 * RUNNING with checkpoints, and each with what it does to the job afterwards.
 */
export class CheckpointRequests {
  constructor(
    private readonly checkpoints: JobCheckpoints | undefined,
    private readonly job: CheckpointedJob,
  ) {}

  /** A manual checkpoint; resolves once it completed. */
  triggerCheckpoint(): Promise<Location> {
    return this.running().triggerManual();
  }

  /**
   * A savepoint into `dir` (a blob key under `savepoints/`, see `savepointTargetDir`); with
   * `cancelJob` the job is canceled once it completed (Flink's cancel-with-savepoint). Resolves
   * with its location once `_metadata` is written; a failed savepoint leaves the job running.
   */
  async triggerSavepoint(dir: string, cancelJob = false): Promise<Location> {
    const savepoint = await this.running().triggerSavepoint(dir, { thenCancel: cancelJob });
    if (cancelJob) this.job.cancel();
    return savepoint;
  }

  /**
   * Stop-with-savepoint (Flink's `POST /jobs/:id/stop`): a savepoint into `dir` after which the
   * sources stop and every task ends, so the job ends FINISHED with its sinks having committed
   * exactly what the savepoint covers. With `drain` the sources end first (event time advances
   * to the end, windows and buffers flush into the savepoint); without, the job is suspended
   * (nothing is flushed: the resumed job does that). Resolves with the savepoint once the job
   * FINISHED. When the savepoint fails, the job goes on: without drain the sources, which only
   * paused, resume; with drain, whose sources ended, the attempt fails over (Flink) and the job
   * runs on from its latest checkpoint under its restart strategy.
   */
  async stopWithSavepoint(dir: string, mode: StopMode): Promise<Location> {
    const checkpoints = this.running();
    const attempt = this.job.attempt();
    let savepoint: Location;
    try {
      savepoint = await checkpoints.triggerSavepoint(dir, { stop: mode });
    } catch (err) {
      if (err instanceof CheckpointFailedError && mode === 'drain')
        this.job.failAttempt(
          attempt,
          new AttemptFailure(
            serializeError(new CheckpointFailedError(`stop-with-savepoint failed: ${err.message}`)),
          ),
        );
      throw err;
    }
    await this.job.whenTerminal();
    const ended = this.job.status();
    if (ended !== 'FINISHED')
      throw new ConflictError(
        `savepoint ${savepoint.externalPath} completed, but job ${this.job.jobId} then ended ${ended} instead of FINISHED`,
      );
    return savepoint;
  }

  private running(): JobCheckpoints {
    const status = this.job.status();
    if (!this.checkpoints || status !== 'RUNNING')
      throw new ConflictError(
        `job ${this.job.jobId} is ${status.toLowerCase()}, not running with checkpoints`,
      );
    return this.checkpoints;
  }
}
