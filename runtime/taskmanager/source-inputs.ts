import type { SourceOperator } from '../api/operators/source-sink-operators';
import type { ChainMember } from './chain-member';
import { attributeError } from './chain-member';

const SOURCE_SLICE_MS = 5;
/** How long a reader without `isAvailable` rests after saying nothing is available. */
const IDLE_READER_RETRY_MS = 10;

export interface SourceInputsHost {
  /** True while the task may not produce (back pressure, not running). */
  isBlocked(): boolean;
  /** True when control messages wait: a polling turn ends early for them. */
  hasPendingControl(): boolean;
  sourceEnded(member: ChainMember): void;
  addBusyMs(ms: number): void;
  fail(err: unknown): void;
}

/**
 * The chain's sources as one input of the task: polled in turns of a few milliseconds on the
 * task's event loop, never while the task is blocked or the input is held (a source that took
 * part in a checkpoint's barrier alignment waits until the other inputs caught up).
 */
export class SourceInputs {
  private readonly active: ChainMember[];
  private live: number;
  private scheduled = false;
  private readonly ended = new Set<ChainMember>();
  /** Set by `endAll` and `suspend`: a reader that becomes available again is not polled any more. */
  private stopped = false;
  /** Set by `suspend`: the sources stopped without ending (stop-with-savepoint without drain). */
  private suspendedAll = false;
  /** Barrier alignment holds the sources (see `CheckpointBarrierHandler`). */
  held = false;
  /** A stop-with-savepoint without drain holds them from its barrier until the savepoint completed or failed. */
  private paused = false;

  constructor(
    readonly members: readonly ChainMember[],
    private readonly host: SourceInputsHost,
  ) {
    this.active = [...members];
    this.live = members.length;
  }

  get allEnded(): boolean {
    return this.live === 0;
  }

  /** No source produces any more: every one ended, or they were suspended. */
  get done(): boolean {
    return this.live === 0 || this.suspendedAll;
  }

  /** Polls no source until `resume` (the sources stay open, their positions as they are). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  /**
   * Stops every source for good WITHOUT ending it (stop-with-savepoint without drain): no
   * operator of the chain is told its input ended, so nothing is flushed; the job is suspended.
   */
  suspend(): void {
    this.stopped = true;
    this.suspendedAll = true;
    this.active.length = 0;
  }

  /**
   * Ends every source that has not ended (stop-with-savepoint): they are polled no more and
   * their operators finish as if their input had ended.
   */
  endAll(): void {
    this.stopped = true;
    this.active.length = 0;
    for (const member of this.members) this.end(member);
  }

  schedule(): void {
    if (this.scheduled || this.active.length === 0 || this.held || this.paused) return;
    this.scheduled = true;
    setImmediate(() => this.poll());
  }

  private poll(): void {
    this.scheduled = false;
    const started = performance.now();
    const deadline = started + SOURCE_SLICE_MS;
    try {
      while (this.canPoll && performance.now() < deadline) {
        for (const member of [...this.active]) {
          if (!this.canPoll) break;
          this.pollOnce(member);
        }
      }
    } catch (err) {
      this.host.fail(err);
      return;
    } finally {
      this.host.addBusyMs(performance.now() - started);
    }
    if (!this.host.isBlocked()) this.schedule();
  }

  private get canPoll(): boolean {
    return (
      !this.host.isBlocked() &&
      !this.held &&
      !this.paused &&
      !this.host.hasPendingControl() &&
      this.active.length > 0
    );
  }

  private pollOnce(member: ChainMember): void {
    const source = member.operator as SourceOperator<unknown>;
    let status;
    try {
      status = source.poll();
    } catch (err) {
      throw attributeError(err, member.node);
    }
    if (status === 'more') return;
    this.active.splice(this.active.indexOf(member), 1);
    if (status === 'end') {
      this.end(member);
      return;
    }
    const available =
      source.reader.isAvailable?.() ?? new Promise<void>((r) => setTimeout(r, IDLE_READER_RETRY_MS));
    available.then(
      () => {
        if (this.stopped) return;
        this.active.push(member);
        this.schedule();
      },
      (err: unknown) => this.host.fail(attributeError(err, member.node)),
    );
  }

  private end(member: ChainMember): void {
    if (this.ended.has(member)) return;
    this.ended.add(member);
    this.live--;
    this.host.sourceEnded(member);
  }
}
