import { InvalidJobError } from '../../errors';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import { MapStateDescriptor } from '../../state/state-descriptors';
import type { MapState } from '../../state/state-types';
import type { Collector, KeySelector } from '../functions';
import type { TimeWindow, WindowAssigner } from '../windowing/window-assigners';
import { maxTimestamp } from '../windowing/window-assigners';
import type { Timer } from './internal-timer-service';
import { InternalTimerService } from './internal-timer-service';
import type { OperatorContext, RecordTimestamp, StateInitializationContext } from './stream-operator';
import { StreamOperator } from './stream-operator';

type WindowId = [start: number, end: number];

/** What a window holds and how it becomes output: a reduced value, an accumulator, or all elements. */
export interface WindowContents<ACC> {
  add(accumulator: ACC | undefined, value: unknown): ACC;
  emit(key: unknown, window: TimeWindow, accumulator: ACC, out: Collector<unknown>, watermark: number): void;
}

/**
 * Keyed windows (Flink's WindowOperator with the default event-time or processing-time
 * trigger). Each window's contents live in the keyed state backend (a map per key from window
 * to contents), and each window has a timer at its last instant, so both are checkpointed and
 * restored by key group. A window fires when the watermark (or the clock) passes its end;
 * with allowed lateness it is kept until `end - 1 + lateness`, and every late record that
 * still fits fires it again. Records later than that are dropped and counted.
 */
export class WindowOperator<ACC> extends StreamOperator<unknown> {
  private backend!: KeyedStateBackend;
  private windows!: MapState<WindowId, ACC>;
  private timers!: InternalTimerService<WindowId>;
  private timestamp!: RecordTimestamp;
  private now!: () => number;
  private restored = false;
  /** Records that fit no window any more (Flink's numLateRecordsDropped). */
  lateRecordsDropped = 0;

  constructor(
    private readonly keySelector: KeySelector<unknown, unknown>,
    private readonly assigner: WindowAssigner,
    private readonly contents: WindowContents<ACC>,
    private readonly allowedLatenessMs: number,
  ) {
    super();
  }

  override initializeState(context: StateInitializationContext): void {
    this.restored = context.isRestored;
  }

  override open(context: OperatorContext): void {
    if (!context.keyedState)
      throw new InvalidJobError(`window operator '${context.operatorName}' needs a keyed input`);
    this.backend = context.keyedState;
    this.timestamp = context.recordTimestamp;
    this.now = () => context.processingTime.now();
    this.windows = this.backend.getMapState(new MapStateDescriptor<WindowId, ACC>('_window-contents'));
    this.timers = new InternalTimerService<WindowId>(
      'window',
      this.backend,
      context.processingTime,
      (t) => this.onTimer(t),
      (t) => this.onTimer(t),
    );
    if (this.restored) this.timers.restoreTimers();
  }

  processElement(record: unknown): void {
    const key = this.keySelector(record);
    this.backend.setCurrentKey(key);
    const eventTime = this.assigner.isEventTime;
    const time = eventTime ? this.timestamp.value : this.now();
    if (time === undefined)
      throw new InvalidJobError(
        'an event-time window got a record without a timestamp: assign timestamps with a WatermarkStrategy first',
      );
    const watermark = this.timers.currentWatermark();
    let taken = false;
    for (const window of this.assigner.assignWindows(time)) {
      const last = maxTimestamp(window);
      if (eventTime && last + this.allowedLatenessMs <= watermark) continue; // too late for this window
      taken = true;
      const id: WindowId = [window.start, window.end];
      this.windows.put(id, this.contents.add(this.windows.get(id), record));
      if (!eventTime) {
        this.timers.registerProcessingTimeTimer(id, last);
        continue;
      }
      if (last <= watermark) this.fire(key, id);
      else this.timers.registerEventTimeTimer(id, last);
      if (this.allowedLatenessMs > 0) this.timers.registerEventTimeTimer(id, last + this.allowedLatenessMs);
    }
    if (!taken) this.lateRecordsDropped++;
  }

  override processWatermark(timestamp: number): void {
    this.timers.advanceWatermark(timestamp);
    super.processWatermark(timestamp);
  }

  override close(): void {
    this.timers?.close();
  }

  private onTimer(timer: Timer<WindowId>): void {
    const id = timer.namespace;
    const last = id[1] - 1;
    if (timer.timestamp === last) this.fire(timer.key, id);
    const lateness = this.assigner.isEventTime ? this.allowedLatenessMs : 0;
    if (timer.timestamp === last + lateness) this.windows.remove(id);
  }

  private fire(key: unknown, id: WindowId): void {
    const accumulator = this.windows.get(id);
    if (accumulator === undefined) return;
    const window: TimeWindow = { start: id[0], end: id[1] };
    this.timestamp.value = maxTimestamp(window);
    this.contents.emit(key, window, accumulator, this.output, this.timers.currentWatermark());
  }
}
