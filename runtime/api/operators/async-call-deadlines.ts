/** A call that a deadline may expire: once settled, its deadline no longer matters. */
export interface DeadlineCall {
  readonly settled: boolean;
}

/**
 * The timeouts of an async operator's calls on one timer. Every call gets the same limit, so
 * deadlines come in issue order: a FIFO whose head has the timer replaces a timer per call
 * (two timer operations per record were a large part of the operator's own cost). A call that
 * settled stays in the FIFO until its deadline passes and is skipped then.
 */
export class CallDeadlines<C extends DeadlineCall> {
  private calls: { readonly call: C; readonly deadline: number }[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly expired: (call: C) => void,
  ) {}

  add(call: C): void {
    this.dropSettled();
    this.calls.push({ call, deadline: performance.now() + this.timeoutMs });
    if (!this.timer) this.arm();
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.calls = [];
    this.head = 0;
  }

  /** Forgets the settled calls at the head: calls mostly settle in issue order, so the FIFO stays short. */
  private dropSettled(): void {
    while (this.head < this.calls.length && this.calls[this.head]!.call.settled) this.head++;
    if (this.head === this.calls.length) {
      this.calls = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.calls.length) {
      this.calls.splice(0, this.head);
      this.head = 0;
    }
  }

  private arm(): void {
    this.dropSettled();
    if (this.calls.length === 0) return;
    const delay = Math.max(0, this.calls[this.head]!.deadline - performance.now());
    this.timer = setTimeout(() => this.expire(), Math.ceil(delay));
    // A pending timeout alone does not keep the task's thread alive.
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.calls.length && this.calls[this.head]!.deadline <= now) {
      const { call } = this.calls[this.head++]!;
      if (!call.settled) this.expired(call);
    }
    this.arm();
  }
}
