import type { Logger } from '../util/logger';

export interface Rejection {
  /** `host:port` of the peer. */
  readonly remote: string;
  /** Short, stable reason (e.g. `unauthorized`, `handshake timeout`, `malformed frame`). */
  readonly reason: string;
  /** The cause's message; logged without a stack (a refused stranger is not our bug). */
  readonly detail?: string;
}

export interface RejectionLogOptions {
  /** Rejections logged one line each per window before the rest are only counted (default 5). */
  burst?: number;
  /** Length of a window in ms (default 60 s). */
  windowMs?: number;
}

/**
 * Logs refused connections of one listening port without letting a scanner or a misconfigured
 * peer flood the log: the first `burst` rejections of a window get a line each (remote, reason,
 * detail, no stack); the rest are counted by reason and summed up in one line when the window
 * ends. Used by the control port and the data port alike.
 */
export class RejectionLog {
  private readonly burst: number;
  private readonly windowMs: number;
  private logged = 0;
  private suppressed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private total = 0;

  constructor(
    private readonly logger: Logger,
    /** What was refused, for the log message: e.g. `control connection`. */
    private readonly what: string,
    options: RejectionLogOptions = {},
  ) {
    this.burst = options.burst ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** Rejections recorded since start (logged or not). */
  get count(): number {
    return this.total;
  }

  record(rejection: Rejection): void {
    this.total++;
    this.startWindow();
    if (this.logged < this.burst) {
      this.logged++;
      this.logger.warn(
        { remote: rejection.remote, reason: rejection.reason, detail: rejection.detail },
        `refused ${this.what}`,
      );
      return;
    }
    this.suppressed.set(rejection.reason, (this.suppressed.get(rejection.reason) ?? 0) + 1);
  }

  /** Logs what is still suppressed and stops the window timer. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.endWindow();
  }

  private startWindow(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.endWindow(), this.windowMs);
    this.timer.unref();
  }

  private endWindow(): void {
    this.timer = undefined;
    this.logged = 0;
    if (this.suppressed.size === 0) return;
    const byReason = Object.fromEntries(this.suppressed);
    const count = [...this.suppressed.values()].reduce((a, b) => a + b, 0);
    this.suppressed = new Map();
    this.logger.warn(
      { suppressed: count, byReason, windowMs: this.windowMs },
      `refused ${count} more ${this.what}s (not logged one by one)`,
    );
  }
}
