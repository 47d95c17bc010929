import { MAX_WATERMARK, NO_WATERMARK } from '../api/event-time/watermark-strategy';

interface ValveInput {
  watermark: number;
  idle: boolean;
  /** An input that came back from idleness counts again once it caught up with the output. */
  aligned: boolean;
}

/** What the valve decided after an input changed. */
export interface ValveOutput {
  emitWatermark(timestamp: number): void;
  emitStatus(idle: boolean): void;
}

/**
 * Combines the watermarks of an operator's inputs -- every network channel and chained
 * predecessor, of both logical inputs -- into the operator's event time (Flink's
 * StatusWatermarkValve): the minimum over the inputs that are not idle, emitted only when it
 * advances. An ended input is at the maximum watermark. When every input is idle the
 * operator is idle itself, and says so downstream.
 */
export class WatermarkValve {
  private readonly inputs: ValveInput[] = [];
  private lastOutput = NO_WATERMARK;
  private idle = false;

  constructor(private readonly output: ValveOutput) {}

  get currentWatermark(): number {
    return this.lastOutput;
  }

  /** Adds an input and returns its index. */
  addInput(): number {
    this.inputs.push({ watermark: NO_WATERMARK, idle: false, aligned: true });
    return this.inputs.length - 1;
  }

  get inputCount(): number {
    return this.inputs.length;
  }

  onWatermark(index: number, timestamp: number): void {
    const input = this.inputs[index]!;
    if (input.idle) this.onStatus(index, false); // a watermark means the input is active
    if (timestamp <= input.watermark) return;
    input.watermark = timestamp;
    if (!input.aligned && timestamp >= this.lastOutput) input.aligned = true;
    this.advance();
  }

  onStatus(index: number, idle: boolean): void {
    const input = this.inputs[index]!;
    if (input.idle === idle) return;
    input.idle = idle;
    if (idle) {
      input.aligned = false;
      this.advance();
    } else {
      input.aligned = input.watermark >= this.lastOutput;
    }
    const allIdle = this.inputs.every((i) => i.idle);
    if (allIdle !== this.idle) {
      this.idle = allIdle;
      this.output.emitStatus(allIdle);
    }
  }

  /** The input ended: its event time is over, and it no longer holds anyone back. */
  onEnd(index: number): void {
    const input = this.inputs[index]!;
    input.idle = false;
    input.aligned = true;
    input.watermark = MAX_WATERMARK;
    this.advance();
  }

  private advance(): void {
    let min = MAX_WATERMARK;
    let any = false;
    for (const input of this.inputs) {
      if (input.idle || !input.aligned) continue;
      any = true;
      if (input.watermark < min) min = input.watermark;
    }
    if (!any || min <= this.lastOutput) return;
    this.lastOutput = min;
    this.output.emitWatermark(min);
  }
}
