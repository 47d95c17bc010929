import type { TaskControlMessage } from './task-reporter';

/**
 * The task thread's mailbox for control messages from its TaskManager (Flink's mailbox
 * priority lane): checkpoint triggers, completion and abort notices, cancel. Messages are
 * served one at a time, in arrival order, between two turns of input or source polling (the
 * task calls `serve` at the start of each turn, and a message arriving while the task is idle
 * is served on the next turn of the event loop). A handler that returns a promise holds the
 * following messages back until it settles, so notices never overtake each other; only cancel
 * overtakes them.
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
    if (message.type === 'cancel') {
      // Cancel does not wait behind a notice still being handled (a commit that hangs, a
      // finishing task waiting for its peers): it is served on the next turn, whatever is busy.
      setImmediate(() => this.run(message));
      return;
    }
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
      const result = this.run(this.queue.shift()!);
      if (result) {
        this.busy = true;
        void result.finally(() => {
          this.busy = false;
          this.serve();
        });
      }
    }
  }

  /** Handles one message; a promise when its handling goes on (it never rejects). */
  private run(message: TaskControlMessage): Promise<void> | undefined {
    let result: void | Promise<void>;
    try {
      result = this.handle(message);
    } catch (err) {
      this.onError(err);
      return undefined;
    }
    return result instanceof Promise ? result.catch((err: unknown) => this.onError(err)) : undefined;
  }
}
