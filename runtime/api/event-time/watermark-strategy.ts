import { InvalidJobError } from '../../errors';

/** Flink's TimestampAssigner: the event time of a record (ms since the epoch). */
export type TimestampAssigner<T> = (element: T, recordTimestamp: number | undefined) => number;

/** Where a watermark generator puts what it decides (Flink's WatermarkOutput). */
export interface WatermarkOutput {
  emitWatermark(timestamp: number): void;
  markIdle(): void;
  markActive(): void;
}

/** Flink's WatermarkGenerator: sees every event, and is asked periodically for a watermark. */
export interface WatermarkGenerator<T> {
  onEvent(element: T, timestamp: number, output: WatermarkOutput): void;
  onPeriodicEmit(output: WatermarkOutput): void;
}

/** No watermark yet: before the first one every event-time operator is at minus infinity. */
export const NO_WATERMARK = Number.NEGATIVE_INFINITY;
/** The watermark of an input that ended: all its event time has passed. */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY;

/**
 * How records get their timestamps and how watermarks are generated from them (Flink's
 * WatermarkStrategy). Immutable: `withTimestampAssigner` and `withIdleness` return new strategies.
 */
export class WatermarkStrategy<T> {
  private constructor(
    /** Creates one generator per subtask (generators keep per-subtask progress). */
    readonly createGenerator: () => WatermarkGenerator<T>,
    readonly timestampAssigner: TimestampAssigner<T> | undefined,
    /** An input with no records for this long is idle and holds back no one's event time. */
    readonly idleTimeoutMs: number | undefined,
  ) {}

  /**
   * Watermarks that trail the highest timestamp seen by `maxOutOfOrdernessMs` (Flink's
   * BoundedOutOfOrdernessWatermarks): records at most that late are not late.
   */
  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!Number.isFinite(maxOutOfOrdernessMs) || maxOutOfOrdernessMs < 0)
      throw new InvalidJobError(`forBoundedOutOfOrderness: ${maxOutOfOrdernessMs} is not a delay >= 0 ms`);
    return new WatermarkStrategy<T>(
      () => new BoundedOutOfOrderness<T>(maxOutOfOrdernessMs),
      undefined,
      undefined,
    );
  }

  /** Timestamps never decrease within a subtask: the watermark follows the latest one. */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrderness<T>(0), undefined, undefined);
  }

  /**
   * Watermarks from a generator of your own (Flink's `forGenerator`): e.g. one that emits in
   * `onEvent` (punctuated) rather than periodically.
   */
  static forGenerator<T>(createGenerator: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    if (typeof createGenerator !== 'function')
      throw new InvalidJobError('forGenerator() needs a function that creates a WatermarkGenerator');
    return new WatermarkStrategy<T>(createGenerator, undefined, undefined);
  }

  /** No watermarks at all (timestamps may still be assigned). */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => ({ onEvent() {}, onPeriodicEmit() {} }), undefined, undefined);
  }

  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    if (typeof assigner !== 'function')
      throw new InvalidJobError('withTimestampAssigner() needs a function (element, recordTimestamp) => ms');
    return new WatermarkStrategy<T>(this.createGenerator, assigner, this.idleTimeoutMs);
  }

  withIdleness(idleTimeoutMs: number): WatermarkStrategy<T> {
    if (!Number.isFinite(idleTimeoutMs) || idleTimeoutMs <= 0)
      throw new InvalidJobError(`withIdleness: ${idleTimeoutMs} is not a timeout > 0 ms`);
    return new WatermarkStrategy<T>(this.createGenerator, this.timestampAssigner, idleTimeoutMs);
  }
}

class BoundedOutOfOrderness<T> implements WatermarkGenerator<T> {
  private maxTimestamp = NO_WATERMARK;

  constructor(private readonly outOfOrdernessMs: number) {}

  onEvent(_element: T, timestamp: number): void {
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    // Flink: the watermark is max - delay - 1, so a record at exactly `delay` late is on time.
    if (this.maxTimestamp !== NO_WATERMARK)
      output.emitWatermark(this.maxTimestamp - this.outOfOrdernessMs - 1);
  }
}
