import type { TaskControlMessage } from './task-reporter';

/**
 * The task thread's mailbox for control messages from its TaskManager (Flink's mailbox
 * priority lane): checkpoint triggers, completion and abort notices, cancel. Messages are
 * served one at a time, in arrival order, between two turns of input or source polling (the
 * task calls `serve` at the start of each turn, and a message arriving while the task is idle
 * is served on the next turn of the event loop). A handler that returns a promise holds the
 * following messages back until it settles, so notices and cancel never overtake each other.
 */
export class ControlLane {
  private readonly queue: TaskControlMessage[] = [];
  private busy = false;
  private scheduled = false;

  constructor(
    private readonly handle: (message: TaskControlMessage) => void | Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  post(message: TaskControlMessage): void {
    this.queue.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.serve();
    });
  }

  /** Whether messages wait to be served (input turns end early then). */
  get pending(): boolean {
    return this.queue.length > 0 && !this.busy;
  }

  /** Serves the waiting messages, stopping at one whose handling is still in progress. */
  serve(): void {
    while (!this.busy && this.queue.length > 0) {
      const message = this.queue.shift()!;
      let result: void | Promise<void>;
      try {
        result = this.handle(message);
      } catch (err) {
        this.onError(err);
        continue;
      }
      if (result instanceof Promise) {
        this.busy = true;
        result
          .catch((err: unknown) => this.onError(err))
          .finally(() => {
            this.busy = false;
            this.serve();
          });
      }
    }
  }
}
