import type { ChannelEvent } from '../network/channel-protocol';
import type { OutputChannel } from '../network/output-channel';
import type { WatermarkInput } from './chain-member';
import type { InputChannel, InputGate } from './input-gate';
import type { OperatorChain } from './operator-chain';
import type { SourceInputs } from './source-inputs';
import type { SubtaskCheckpointer } from './subtask-checkpointer';
import type { TaskReporter } from './task-reporter';

/**
 * - `running`: processing input and polling sources.
 * - `awaiting-final-checkpoint`: with checkpointing, every input ended and the operators
 *   finished; the task still passes barriers on and waits for a checkpoint taken after that
 *   to complete (so sinks commit).
 * - `finishing`: end-of-partition sent (or about to be), closing operators; `done`: stopped
 *   for any reason.
 */
export type StreamTaskState = 'created' | 'running' | 'awaiting-final-checkpoint' | 'finishing' | 'done';

/** The parts of a `StreamTask` that ending it involves. */
export interface EndingTask {
  readonly state: { value: StreamTaskState };
  readonly chain: OperatorChain;
  readonly gate: InputGate;
  readonly sources: SourceInputs | undefined;
  readonly outputs: readonly OutputChannel[];
  readonly checkpointer: SubtaskCheckpointer;
  readonly reporter: TaskReporter;
  /** The valve input of each network channel, by channel index. */
  readonly watermarkInputs: readonly WatermarkInput[];
  readonly checkpointing: boolean;
  /** Runs the operators' mails that waited while the task was quiesced (a stop savepoint failed). */
  resumeDeferred(): void;
  /** Stops timers and closes the channels: the task is done. */
  cleanup(): void;
  /** The task ended well (after `cleanup`). */
  finished(): void;
  fail(err: unknown): void;
}

/** How many recent checkpoint completions are remembered, so none is passed to the operators twice. */
const REMEMBERED_COMPLETIONS = 8;

/**
 * How a task ends (docs/architecture.md §6, "Ending a job"), the two ways Flink has (FLIP-147):
 *
 * - **End of input** (a bounded input, or stop-with-savepoint with drain): the operators'
 *   inputs end, event time advances to the end, they finish (flushing windows and buffers), and
 *   with checkpointing the task waits for a checkpoint taken after that to complete, so its
 *   sinks commit the last output; then it ends.
 * - **Suspension** (stop-with-savepoint without drain): the sources stop right after the
 *   savepoint's barrier and, once the savepoint completed, end their channels with
 *   `end-of-data` carrying the stop. A task whose every input stopped or ended this way commits
 *   the savepoint (its sinks make exactly what the savepoint covers visible) and ends WITHOUT
 *   ending its operators' input or event time: nothing is flushed, the resumed job does that.
 *   Nothing output after the barrier is committed: no checkpoint follows the savepoint, and
 *   nothing is emitted after it either (Flink quiesces the task's timers): once the task
 *   snapshotted for the stop savepoint, processing-time timers and operator mail (async I/O
 *   results) wait, since what they would emit is in the savepoint (timers, calls in flight) and
 *   comes out of the resumed job; a non-transactional sink would show it twice. They run again
 *   if the savepoint fails, and are dropped once the task ends.
 */
export class TaskEnding {
  /** The first checkpoint taken after the end of input: its completion lets the task finish. */
  private finalCheckpointId: number | undefined;
  /** A stop-with-savepoint without drain whose barrier the sources emitted: they wait for it. */
  private stopSavepointId: number | undefined;
  /** The completed stop savepoint an input stopped by (it suspends the task once all inputs are through). */
  private stoppedBy: number | undefined;
  private readonly completions = new Map<number, Promise<void>>();
  /** Stop savepoints (without drain) this task learned of, from its trigger or a barrier. */
  private readonly stopIds = new Set<number>();
  /** The stop savepoint the task snapshotted for: until it fails, the task emits nothing more. */
  private quiescedBy: number | undefined;

  constructor(private readonly task: EndingTask) {}

  /**
   * Every operator finished. Without checkpointing the task ends now. With checkpointing it
   * sends end-of-data (its channels stay open for barriers) and waits for a checkpoint taken
   * after this point to complete, so what its sinks staged last gets committed (FLIP-147).
   */
  endOfInput(): void {
    const { state } = this.task;
    if (state.value !== 'running') return;
    if (!this.task.checkpointing) {
      void this.finish();
      return;
    }
    state.value = 'awaiting-final-checkpoint';
    this.broadcast({ kind: 'end-of-data' });
    this.task.reporter.send({ type: 'end-of-input' });
  }

  /**
   * `checkpointId` is a stop-with-savepoint without drain: the coordinator's trigger said so at
   * a source task, the barrier at the others. Call before its barrier is aligned.
   */
  stopBarrier(checkpointId: number): void {
    this.stopIds.add(checkpointId);
    if (this.stopIds.size > REMEMBERED_COMPLETIONS) this.stopIds.delete(this.stopIds.values().next().value!);
  }

  /** Whether `checkpointId` is a stop savepoint without drain (its barrier says so downstream). */
  isStop(checkpointId: number): boolean {
    return this.stopIds.has(checkpointId);
  }

  /** True from the snapshot for a stop savepoint on: timers and operator mail wait (see the class comment). */
  get quiesced(): boolean {
    return this.quiescedBy !== undefined;
  }

  /** The task snapshots for `checkpointId` now; true when its input ended before (see `checkpoint-ack`). */
  checkpointTaken(checkpointId: number): boolean {
    if (this.stopIds.has(checkpointId)) this.quiescedBy = checkpointId;
    const taskFinished = this.task.state.value === 'awaiting-final-checkpoint';
    if (taskFinished) this.finalCheckpointId ??= checkpointId;
    return taskFinished;
  }

  /**
   * The sources emitted the barrier of a stop-with-savepoint without drain: they read nothing
   * more until it completed (then they stop) or failed (then they go on: the job keeps running).
   */
  stopTriggered(savepointId: number): void {
    this.stopSavepointId = savepointId;
    this.task.sources?.pause();
  }

  checkpointAborted(checkpointId: number): void {
    if (checkpointId === this.quiescedBy) {
      // The job keeps running: what waited runs now.
      this.quiescedBy = undefined;
      this.task.resumeDeferred();
    }
    if (checkpointId !== this.stopSavepointId) return;
    this.stopSavepointId = undefined;
    this.task.sources?.resume();
  }

  /** Checkpoint `checkpointId` completed: the operators commit, and the task may end. */
  async checkpointComplete(checkpointId: number): Promise<void> {
    await this.notifyComplete(checkpointId);
    if (checkpointId === this.stopSavepointId) {
      this.stopSavepointId = undefined;
      this.task.sources?.suspend();
      this.suspendOnceInputsStopped(checkpointId);
    }
    const final = this.finalCheckpointId;
    if (this.task.state.value === 'awaiting-final-checkpoint' && final !== undefined && checkpointId >= final)
      await this.finish();
  }

  /**
   * No more records on the channel: with `stopBy` it was stopped by that (completed) savepoint,
   * otherwise its data ended, and once a whole gate is through, the operator input ends.
   */
  dataEnded(channel: InputChannel, stopBy?: number): void {
    if (channel.dataEnded) return;
    channel.dataEnded = true;
    const { group } = channel;
    group.open--;
    if (stopBy !== undefined) {
      group.stopped = true;
      this.suspendOnceInputsStopped(stopBy);
      return;
    }
    // The channel's event time is over: the final watermark, before the operator's input ends.
    const input = this.task.watermarkInputs[channel.index]!;
    input.valve.onEnd(input.index);
    if (group.open === 0 && !group.stopped)
      this.task.chain.feederEnded(group.target.member, group.target.input);
    if (this.stoppedBy !== undefined) this.suspendOnceInputsStopped(this.stoppedBy);
  }

  /**
   * Closes the task after the end of input or a suspension: end-of-partition out, then waits
   * until consumers acknowledged it and every producer ended its channel too, so no peer is
   * left waiting for an acknowledgement from this task.
   */
  async finish(): Promise<void> {
    const { task } = this;
    task.state.value = 'finishing';
    try {
      this.broadcast({ kind: 'end-of-partition' });
      await Promise.all([...task.outputs.map((o) => o.whenEndAcknowledged()), task.gate.whenAllEnded()]);
      await task.checkpointer.settled();
      await task.chain.close();
      task.cleanup();
      task.finished();
    } catch (err) {
      task.fail(err);
    }
  }

  /** Suspends the task once no input produces any more and one of them was stopped. */
  private suspendOnceInputsStopped(savepointId: number): void {
    this.stoppedBy = Math.max(this.stoppedBy ?? 0, savepointId);
    const { task } = this;
    if (task.state.value !== 'running') return;
    if (!task.gate.channels.every((c) => c.dataEnded) || !(task.sources?.done ?? true)) return;
    void this.suspend(this.stoppedBy);
  }

  /**
   * Ends the task without ending its operators (nothing is flushed; no timer, mail or trigger
   * is served from here on): consumers learn of the stop first, then the savepoint is
   * committed here (once: its notice from the coordinator may have come already), then the
   * task closes.
   */
  private async suspend(savepointId: number): Promise<void> {
    this.task.state.value = 'finishing';
    this.broadcast({ kind: 'end-of-data', stop: { mode: 'no-drain', savepointId } });
    try {
      await this.notifyComplete(savepointId);
    } catch (err) {
      this.task.fail(err);
      return;
    }
    await this.finish();
  }

  /** Tells the operators checkpoint `checkpointId` completed, once, however often the task hears of it. */
  private notifyComplete(checkpointId: number): Promise<void> {
    let done = this.completions.get(checkpointId);
    if (done) return done;
    done = this.task.chain.notifyCheckpointComplete(checkpointId);
    this.completions.set(checkpointId, done);
    if (this.completions.size > REMEMBERED_COMPLETIONS)
      this.completions.delete(this.completions.keys().next().value!);
    return done;
  }

  private broadcast(event: ChannelEvent): void {
    for (const output of this.task.outputs) output.sendEvent(event);
  }
}
