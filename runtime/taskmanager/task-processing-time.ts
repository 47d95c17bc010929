import type { ProcessingTimeService } from '../api/operators/stream-operator';

/** Whether a processing-time callback may run now, must wait a little, or is dropped. */
export type CallbackGate = () => 'run' | 'defer' | 'drop';

const DEFER_MS = 10;

/**
 * The task's processing-time service (Flink's ProcessingTimeService): callbacks run on the
 * task thread between turns of input, never inside one. Before the task runs they wait; after
 * its operators finished they are dropped. A callback that throws fails the task.
 */
export class TaskProcessingTimeService implements ProcessingTimeService {
  private readonly pending = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly gate: CallbackGate,
    private readonly onBeforeCallback: () => void,
    private readonly fail: (err: unknown) => void,
  ) {}

  now(): number {
    return Date.now();
  }

  schedule(time: number, callback: (time: number) => void): () => void {
    let handle: NodeJS.Timeout | undefined;
    const arm = (delay: number): void => {
      if (this.closed) return;
      handle = setTimeout(() => {
        this.pending.delete(handle!);
        const verdict = this.gate();
        if (verdict === 'defer') return arm(DEFER_MS);
        if (verdict === 'drop') return;
        try {
          this.onBeforeCallback();
          callback(time);
        } catch (err) {
          this.fail(err);
        }
      }, delay);
      this.pending.add(handle);
    };
    arm(Math.max(0, time - Date.now()));
    return () => {
      if (handle === undefined) return;
      clearTimeout(handle);
      this.pending.delete(handle);
    };
  }

  /** Cancels every callback not yet run; later ones are never scheduled. */
  close(): void {
    this.closed = true;
    for (const handle of this.pending) clearTimeout(handle);
    this.pending.clear();
  }
}
