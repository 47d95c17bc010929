import type { CheckpointSettings } from './checkpoint-settings';

/** What periodic triggering asks of its coordinator. */
export interface PeriodicCheckpointHost {
  /**
   * Whether a periodic checkpoint may start now: `off` never again for this attempt's current
   * phase (every input ended, a stop is in progress or done), `busy` once a checkpoint in
   * progress ended (`max-concurrent` reached), `ready` now.
   */
  readiness(): 'ready' | 'busy' | 'off';
  /** When the last checkpoint completed (the min pause runs from there). */
  lastCompletion(): number | undefined;
  /** Starts a periodic checkpoint (its failures are the coordinator's). */
  trigger(): void;
}

/**
 * Triggers periodic checkpoints by `execution.checkpointing.interval`, `min-pause` and
 * `max-concurrent` (Flink's CheckpointCoordinator timer): a min pause makes checkpoints
 * sequential, the pause running from a completion; a trigger that finds too many in progress
 * waits for one to end (`checkpointEnded`).
 */
export class PeriodicCheckpointTimer {
  private timer: NodeJS.Timeout | undefined;
  private blocked = false;
  private stopped = false;

  constructor(
    private readonly settings: CheckpointSettings,
    private readonly host: PeriodicCheckpointHost,
  ) {}

  /** Starts the timer (when an interval is set). */
  start(): void {
    if (this.settings.intervalMs !== undefined) this.schedule(this.settings.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** A checkpoint completed or was aborted: a trigger that waited for that runs after the min pause. */
  checkpointEnded(): void {
    if (!this.blocked || this.stopped) return;
    this.blocked = false;
    this.schedule(Math.max(0, this.settings.minPauseMs - this.sinceCompletion()));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onTimer(), delayMs);
    this.timer.unref();
  }

  private onTimer(): void {
    if (this.stopped) return;
    const readiness = this.host.readiness();
    if (readiness === 'off') return;
    if (readiness === 'busy') {
      this.blocked = true;
      return;
    }
    const sinceCompletion = this.sinceCompletion();
    if (sinceCompletion < this.settings.minPauseMs)
      return this.schedule(this.settings.minPauseMs - sinceCompletion);
    this.host.trigger();
    this.schedule(this.settings.intervalMs!);
  }

  private sinceCompletion(): number {
    const last = this.host.lastCompletion();
    return last === undefined ? Infinity : Date.now() - last;
  }
}
