import type { CheckpointingMode } from '../checkpoint/checkpointing-mode';

/** What barrier alignment asks of the task. */
export interface BarrierHandlerActions {
  /** Stop processing input `index` until `releaseAll` (exactly-once only). */
  hold(index: number): void;
  releaseAll(): void;
  /**
   * Barrier `checkpointId` arrived on every input that has not ended: snapshot now (the task
   * forwards the barrier), before held inputs are released.
   */
  aligned(checkpointId: number, timestamp: number, alignmentMs: number): void;
  /** This task gave up checkpoint `checkpointId` because a newer barrier arrived first. */
  superseded(checkpointId: number, by: number): void;
}

interface Alignment {
  readonly checkpointId: number;
  readonly timestamp: number;
  readonly startedAt: number;
  readonly arrived: Set<number>;
}

/** How many aborted checkpoint ids to remember (to ignore their late barriers). */
const REMEMBERED_ABORTS = 64;

/**
 * Barrier alignment over a task's inputs (Flink's CheckpointBarrierHandler), numbered 0..n-1:
 * the network channels, plus one input standing for the chain's sources, whose "barrier" is
 * the trigger from the coordinator.
 *
 * - exactly-once: an input that delivered barrier n is held until barrier n arrived on every
 *   input not yet ended, so no record after the barrier reaches the state before the snapshot.
 * - at-least-once: nothing is held; the snapshot is taken when the last barrier n arrived
 *   (records after an earlier barrier may be in it and are replayed after a restore).
 *
 * An ended input counts as aligned. A barrier newer than the one being aligned supersedes it;
 * barriers older than one already taken or aborted are ignored.
 */
export class CheckpointBarrierHandler {
  private readonly ended = new Set<number>();
  private current: Alignment | undefined;
  /** The newest checkpoint this task snapshotted or gave up. */
  private lastDone = 0;
  private readonly aborted = new Set<number>();

  constructor(
    private readonly mode: CheckpointingMode,
    private readonly inputCount: number,
    private readonly actions: BarrierHandlerActions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The checkpoint being aligned, if any. */
  get pendingCheckpointId(): number | undefined {
    return this.current?.checkpointId;
  }

  get allEnded(): boolean {
    return this.ended.size === this.inputCount;
  }

  onBarrier(input: number, checkpointId: number, timestamp: number): void {
    if (this.ended.has(input)) return;
    const alignment = this.alignmentFor(checkpointId, timestamp);
    if (!alignment) return;
    alignment.arrived.add(input);
    if (this.mode === 'exactly-once') this.actions.hold(input);
    this.completeIfAligned();
  }

  /**
   * The coordinator triggered `checkpointId` at this task although no source of it runs: its
   * upstream tasks have ended. Each open input then aligns with its barrier or its end, which
   * is on its way (Flink inserts the barrier before end-of-partition); with every input ended
   * the snapshot is taken at once.
   */
  onTrigger(checkpointId: number, timestamp: number): void {
    if (this.alignmentFor(checkpointId, timestamp)) this.completeIfAligned();
  }

  /** The alignment barrier `checkpointId` joins or starts; undefined when that one is stale. */
  private alignmentFor(checkpointId: number, timestamp: number): Alignment | undefined {
    if (checkpointId <= this.lastDone || this.aborted.has(checkpointId)) return undefined;
    const current = this.current;
    if (current && checkpointId < current.checkpointId) return undefined;
    if (current && checkpointId > current.checkpointId) {
      this.giveUp(current);
      this.actions.superseded(current.checkpointId, checkpointId);
    }
    return (this.current ??= { checkpointId, timestamp, startedAt: this.now(), arrived: new Set() });
  }

  onEndOfInput(input: number): void {
    this.ended.add(input);
    this.completeIfAligned();
  }

  /** The coordinator aborted `checkpointId`: stop aligning it and ignore its later barriers. */
  abort(checkpointId: number): void {
    if (checkpointId <= this.lastDone) return;
    if (this.current?.checkpointId === checkpointId) this.giveUp(this.current);
    else this.aborted.add(checkpointId);
    if (this.aborted.size > REMEMBERED_ABORTS) this.aborted.delete(Math.min(...this.aborted));
  }

  private completeIfAligned(): void {
    const current = this.current;
    if (!current) return;
    for (let input = 0; input < this.inputCount; input++) {
      if (!current.arrived.has(input) && !this.ended.has(input)) return;
    }
    this.current = undefined;
    this.done(current.checkpointId);
    this.actions.aligned(current.checkpointId, current.timestamp, this.now() - current.startedAt);
    this.actions.releaseAll();
  }

  private giveUp(alignment: Alignment): void {
    this.current = undefined;
    this.aborted.add(alignment.checkpointId);
    this.actions.releaseAll();
  }

  private done(checkpointId: number): void {
    this.lastDone = Math.max(this.lastDone, checkpointId);
    for (const id of this.aborted) if (id <= this.lastDone) this.aborted.delete(id);
  }
}
