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
        // setTimeout runs on a monotonic clock and may come a millisecond before the wall
        // clock reads `time`: a timer must never see currentProcessingTime() below its time.
        if (Date.now() < time) return arm(delayUntil(time));
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
    arm(delayUntil(time));
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

/**
 * The delay to `time` plus 1 ms, as Flink's ProcessingTimeServiceUtil: a timeout of whole
 * milliseconds started part-way through one would otherwise end before the clock reads `time`.
 */
function delayUntil(time: number): number {
  const now = Date.now();
  return time >= now ? time - now + 1 : 0;
}
