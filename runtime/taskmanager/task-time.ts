/** A task's running time split as Flink's metrics split it. */
export interface TaskTimes {
  readonly runningMs: number;
  /** Processing input and polling sources, sampled per turn (not per record). */
  readonly busyMs: number;
  /** Neither busy nor back-pressured. */
  readonly idleMs: number;
  /** Waiting because an output (network or client output) was backlogged. */
  readonly backPressuredMs: number;
}

/**
 * Where a task's time goes: busy, back-pressured (some output backlogged) or idle. Outputs
 * report backlog changes; the task counts how many are backlogged and waits while any is.
 */
export class TaskTimeAccounting {
  private backlogged = 0;
  private backlogSince = 0;
  private backPressuredMs = 0;
  private busyMs = 0;
  private runningSince = 0;

  get isBackPressured(): boolean {
    return this.backlogged > 0;
  }

  start(): void {
    this.runningSince = performance.now();
  }

  addBusy(ms: number): void {
    this.busyMs += ms;
  }

  /** An output became backlogged or drained; true when the last backlogged one drained. */
  onBacklogChange(backlogged: boolean): boolean {
    if (backlogged) {
      if (this.backlogged++ === 0) this.backlogSince = performance.now();
      return false;
    }
    if (--this.backlogged > 0) return false;
    this.backPressuredMs += performance.now() - this.backlogSince;
    return true;
  }

  times(): TaskTimes {
    const now = performance.now();
    const runningMs = this.runningSince > 0 ? now - this.runningSince : 0;
    const backPressuredMs = this.backPressuredMs + (this.backlogged > 0 ? now - this.backlogSince : 0);
    return {
      runningMs,
      busyMs: this.busyMs,
      idleMs: Math.max(0, runningMs - this.busyMs - backPressuredMs),
      backPressuredMs,
    };
  }
}
