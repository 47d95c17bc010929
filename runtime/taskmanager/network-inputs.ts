import type { RecordTimestamp } from '../api/operators/stream-operator';
import type { DownstreamMessage } from '../network/channel-protocol';
import { decodeTimestampedBatch } from '../network/record-batch-codec';
import type { WatermarkInput } from './chain-member';
import type { CheckpointBarrierHandler } from './checkpoint-barrier-handler';
import type { InputChannel, InputGate } from './input-gate';

const INPUT_BUFFERS_PER_TURN = 64;
/** A turn of input ends after this long, so timers (metrics, flushes) run behind a slow operator. */
const INPUT_SLICE_MS = 5;

/** What processing the network input asks of its task. */
export interface NetworkInputsHost {
  /** True while the task may not take input (back pressure, paused by an operator, not running). */
  isBlocked(): boolean;
  /** True when control messages wait: a turn of input ends early for them. */
  hasPendingControl(): boolean;
  /** Barriers are ignored once the task is finishing. */
  isFinishing(): boolean;
  /** Barrier alignment (present when the job checkpoints). */
  barriers(): CheckpointBarrierHandler | undefined;
  /** A barrier of a stop-with-savepoint without drain arrived (see `TaskEnding.stopBarrier`). */
  stopBarrier(checkpointId: number): void;
  /** No more records on the channel; `stopBy`: stopped by that savepoint (see `TaskEnding.dataEnded`). */
  dataEnded(channel: InputChannel, stopBy?: number): void;
  addBusyMs(ms: number): void;
  fail(err: unknown): void;
}

/**
 * The task's network input as turns on its event loop: takes buffers off the input gate,
 * channels in turn, a few milliseconds at a time, and hands records to the operator input of
 * their gate (with their timestamps) and events to barrier alignment, the watermark valves and
 * the task's ending. The sources are the task's other input (`SourceInputs`).
 */
export class NetworkInputs {
  /** Records taken from the network so far. */
  recordsIn = 0;
  private scheduled = false;

  constructor(
    private readonly gate: InputGate,
    /** The valve input of each channel, by channel index. */
    private readonly watermarkInputs: readonly WatermarkInput[],
    /** The timestamp of the record being processed, shared by the chain. */
    private readonly recordTimestamp: RecordTimestamp,
    private readonly host: NetworkInputsHost,
  ) {}

  /** Processes what arrived in a turn of its own (unless blocked or nothing is there). */
  schedule(): void {
    if (this.scheduled || this.host.isBlocked() || !this.gate.hasInput) return;
    this.scheduled = true;
    // Never inside the port's delivery loop: Node delivers up to 1000 queued messages in one
    // go, which behind a slow operator would starve every timer.
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    const started = performance.now();
    const deadline = started + INPUT_SLICE_MS;
    try {
      for (
        let turn = 0;
        turn < INPUT_BUFFERS_PER_TURN &&
        !this.host.isBlocked() &&
        !this.host.hasPendingControl() &&
        performance.now() < deadline;
        turn++
      ) {
        const next = this.gate.next();
        if (!next) break;
        this.process(next[0], next[1]);
      }
    } catch (err) {
      this.host.fail(err);
      return;
    } finally {
      this.gate.flushCredit();
      this.host.addBusyMs(performance.now() - started);
    }
    this.schedule();
  }

  private process(channel: InputChannel, message: DownstreamMessage): void {
    if (message.t === 'data') {
      const { records, timestamps } = decodeTimestampedBatch(message.buf);
      this.recordsIn += records.length;
      const target = channel.group.target;
      const timestamp = this.recordTimestamp;
      if (timestamps) {
        for (let i = 0; i < records.length; i++) {
          timestamp.value = timestamps[i] ?? undefined;
          target.collect(records[i]);
        }
      } else {
        timestamp.value = undefined;
        for (let i = 0; i < records.length; i++) target.collect(records[i]);
      }
      this.gate.returnCredit(channel);
      return;
    }
    const event = message.e;
    if (event.kind === 'end-of-data') {
      this.host.dataEnded(channel, event.stop?.savepointId);
    } else if (event.kind === 'end-of-partition') {
      this.gate.end(channel);
      // Alignment first: a checkpoint waiting only for this channel is taken before the operators finish.
      this.host.barriers()?.onEndOfInput(channel.index);
      this.host.dataEnded(channel);
    } else if (event.kind === 'barrier' && !this.host.isFinishing()) {
      if (event.stop === 'no-drain') this.host.stopBarrier(event.checkpointId);
      this.host.barriers()?.onBarrier(channel.index, event.checkpointId, event.timestamp);
    } else if (event.kind === 'watermark' && !channel.dataEnded) {
      const input = this.watermarkInputs[channel.index]!;
      input.valve.onWatermark(input.index, event.timestamp);
    } else if (event.kind === 'watermark-status' && !channel.dataEnded) {
      const input = this.watermarkInputs[channel.index]!;
      input.valve.onStatus(input.index, event.idle);
    }
  }
}
