import { InvalidJobError } from '../../errors';
import type {
  WatermarkGenerator,
  WatermarkOutput,
  WatermarkStrategy,
} from '../event-time/watermark-strategy';
import { MAX_WATERMARK } from '../event-time/watermark-strategy';
import type { OperatorContext, ProcessingTimeService, RecordTimestamp } from './stream-operator';
import { StreamOperator } from './stream-operator';

/**
 * Gives records their timestamps and emits watermarks from them (Flink's
 * TimestampsAndWatermarksOperator): the generator sees every record and is asked for a
 * watermark every auto-watermark interval. Watermarks from upstream are replaced by its own,
 * except the final one at the end of input. With idleness, a subtask that got no record for the
 * idle timeout marks itself idle until the next record.
 */
export class TimestampsAndWatermarksOperator<T> extends StreamOperator<T> implements WatermarkOutput {
  private generator!: WatermarkGenerator<T>;
  private timestamp!: RecordTimestamp;
  private time!: ProcessingTimeService;
  private intervalMs = 0;
  private cancelTimer: (() => void) | undefined;
  private lastRecordAt = 0;
  private idle = false;
  private emitted = Number.NEGATIVE_INFINITY;

  constructor(private readonly strategy: WatermarkStrategy<T>) {
    super();
  }

  override open(context: OperatorContext): void {
    this.generator = this.strategy.createGenerator();
    this.timestamp = context.recordTimestamp;
    this.time = context.processingTime;
    this.intervalMs = context.autoWatermarkIntervalMs;
    this.lastRecordAt = this.time.now();
    this.scheduleEmit();
  }

  processElement(record: unknown): void {
    const element = record as T;
    const assigner = this.strategy.timestampAssigner;
    const timestamp = assigner ? assigner(element, this.timestamp.value) : this.timestamp.value;
    if (typeof timestamp !== 'number' || Number.isNaN(timestamp))
      throw new InvalidJobError(
        assigner
          ? `the timestamp assigner returned ${String(timestamp)}, not a number of ms`
          : 'a record has no timestamp: give the watermark strategy a timestamp assigner (withTimestampAssigner)',
      );
    this.lastRecordAt = this.time.now();
    if (this.idle) this.markActive();
    this.timestamp.value = timestamp;
    // The record first, then what the generator makes of it (as Flink does): a watermark
    // emitted for this record never overtakes it.
    this.output.collect(element);
    this.timestamp.value = timestamp;
    this.generator.onEvent(element, timestamp, this);
  }

  /** Upstream watermarks are replaced by this operator's; only the end of input passes. */
  override processWatermark(timestamp: number): void {
    if (timestamp === MAX_WATERMARK) this.emitWatermark(MAX_WATERMARK);
  }

  override processWatermarkStatus(): void {}

  override finish(): void {
    this.stopTimer();
    this.emitWatermark(MAX_WATERMARK);
  }

  override close(): void {
    this.stopTimer();
  }

  emitWatermark(timestamp: number): void {
    if (timestamp <= this.emitted) return;
    if (this.idle) this.markActive();
    this.emitted = timestamp;
    this.watermarks.emitWatermark(timestamp);
  }

  markIdle(): void {
    if (this.idle) return;
    this.idle = true;
    this.watermarks.emitStatus(true);
  }

  markActive(): void {
    if (!this.idle) return;
    this.idle = false;
    this.watermarks.emitStatus(false);
  }

  private scheduleEmit(): void {
    this.cancelTimer = this.time.schedule(this.time.now() + this.intervalMs, () => this.onPeriodicEmit());
  }

  private onPeriodicEmit(): void {
    const idleTimeout = this.strategy.idleTimeoutMs;
    if (idleTimeout !== undefined && this.time.now() - this.lastRecordAt >= idleTimeout) this.markIdle();
    else this.generator.onPeriodicEmit(this);
    this.scheduleEmit();
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }
}
