import { InvalidJobError } from '../../errors';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import { MapStateDescriptor, ValueStateDescriptor } from '../../state/state-descriptors';
import type { MapState, ValueState } from '../../state/state-types';
import type { KeySelector } from '../functions';
import { InternalTimerService } from '../operators/internal-timer-service';
import type { OperatorContext, StateInitializationContext } from '../operators/stream-operator';
import { StreamOperator } from '../operators/stream-operator';
import { outputTagId } from '../output-tag';
import type { ProcessJoinContext, ProcessJoinFunction } from '../two-input-functions';

/** The settings of an interval join, bounds already made inclusive. */
export interface IntervalJoinSettings {
  readonly lowerMs: number;
  readonly upperMs: number;
  /** Side output ids for late records of the left and right input. */
  readonly lateTags: readonly [string | undefined, string | undefined];
}

type Side = 'left' | 'right';
/** Elements of one side and key, by timestamp. */
type Buffer = MapState<number, unknown[]>;
/** The timestamps a buffer holds, ascending: lookups visit only those inside the interval. */
type BufferIndex = ValueState<number[]>;

/**
 * The interval join of two keyed inputs (Flink's IntervalJoinOperator): a left element at t1
 * joins each right element of its key at t2 with t1 + lower <= t2 <= t1 + upper. Elements wait
 * in keyed state, one list per timestamp, until the watermark passes the last time a partner
 * may have: an event-time timer per element's timestamp then removes them. Elements behind the
 * watermark (late) are dropped or sent to a side output. Output carries max(t1, t2).
 *
 * Unlike Flink, which scans every buffered timestamp of the other side per element, each buffer
 * has a sorted index of its timestamps (keyed state too): an element reads only the timestamps
 * inside its interval, so a side whose event time runs far ahead (a long buffer) costs a binary
 * search, not a scan and sort of the whole buffer per element.
 */
export class IntervalJoinOperator<IN1, IN2, OUT> extends StreamOperator<OUT> {
  private state!: KeyedStateBackend;
  private buffers!: Record<Side, Buffer>;
  private indexes!: Record<Side, BufferIndex>;
  private timers!: InternalTimerService<Side>;
  private restored = false;
  private context!: OperatorContext;
  private readonly join: (l: IN1, r: IN2, ctx: ProcessJoinContext, out: { collect(r: OUT): void }) => void;
  /** Records behind the watermark with no side output for their input (Flink's numLateRecordsDropped). */
  lateRecordsDropped = 0;
  private leftTs = 0;
  private rightTs = 0;
  private readonly joinContext: ProcessJoinContext = {
    getLeftTimestamp: () => this.leftTs,
    getRightTimestamp: () => this.rightTs,
    getTimestamp: () => Math.max(this.leftTs, this.rightTs),
    output: (tag, value) => this.sideOutput.emit(outputTagId(tag, 'ctx.output()'), value),
  };

  constructor(
    private readonly keySelectors: readonly [KeySelector<unknown, unknown>, KeySelector<unknown, unknown>],
    private readonly settings: IntervalJoinSettings,
    fn: ProcessJoinFunction<IN1, IN2, OUT>,
  ) {
    super();
    this.join = typeof fn === 'function' ? fn : fn.processElement.bind(fn);
  }

  override initializeState(context: StateInitializationContext): void {
    this.restored = context.isRestored;
  }

  override open(context: OperatorContext): void {
    if (!context.keyedState)
      throw new InvalidJobError(`operator '${context.operatorName}' needs keyed inputs`);
    this.context = context;
    const state = (this.state = context.keyedState);
    const buffer = (side: Side): Buffer =>
      state.getMapState(new MapStateDescriptor<number, unknown[]>(`interval-join/${side}`));
    this.buffers = { left: buffer('left'), right: buffer('right') };
    const index = (side: Side): BufferIndex =>
      state.getState(new ValueStateDescriptor<number[]>(`interval-join/${side}-timestamps`));
    this.indexes = { left: index('left'), right: index('right') };
    this.timers = new InternalTimerService<Side>(
      'intervalJoin',
      state,
      context.processingTime,
      (t) => this.cleanUp(t.namespace, t.timestamp),
      () => undefined,
    );
    if (this.restored) this.timers.restoreTimers();
  }

  processElement(record: unknown, input: number): void {
    const timestamp = this.context.recordTimestamp.value;
    if (timestamp === undefined)
      throw new InvalidJobError(
        `interval join '${this.context.operatorName}' got a record without a timestamp: ` +
          'assign timestamps (WatermarkStrategy) to both inputs',
      );
    this.state.setCurrentKey(this.keySelectors[input]!(record));
    if (timestamp < this.timers.currentWatermark()) {
      const tag = this.settings.lateTags[input];
      if (tag !== undefined) this.sideOutput.emit(tag, record);
      else this.lateRecordsDropped++;
      return;
    }
    const { lowerMs, upperMs } = this.settings;
    // From the right side the interval is mirrored: t2 - upper <= t1 <= t2 - lower.
    const [side, other, from, to]: [Side, Side, number, number] =
      input === 0 ? ['left', 'right', lowerMs, upperMs] : ['right', 'left', -upperMs, -lowerMs];
    this.add(side, timestamp, record);
    const otherTimes = this.timestamps(other);
    const last = timestamp + to;
    for (let i = firstAtOrAfter(otherTimes, timestamp + from); i < otherTimes.length; i++) {
      const otherTs = otherTimes[i]!;
      if (otherTs > last) break;
      for (const element of this.buffers[other].get(otherTs) ?? []) {
        if (input === 0) this.emit(record as IN1, timestamp, element as IN2, otherTs);
        else this.emit(element as IN1, otherTs, record as IN2, timestamp);
      }
    }
    // Kept until no element of the other side within the interval can still come.
    this.timers.registerEventTimeTimer(side, to > 0 ? timestamp + to : timestamp);
  }

  override processWatermark(timestamp: number): void {
    this.timers.advanceWatermark(timestamp);
    super.processWatermark(timestamp);
  }

  override close(): void {
    this.timers?.close();
  }

  private add(side: Side, timestamp: number, record: unknown): void {
    const existing = this.buffers[side].get(timestamp);
    if (!existing) {
      const times = this.timestamps(side); // read before the put: a rebuilt index must not hold it yet
      const at = firstAtOrAfter(times, timestamp);
      this.indexes[side].update([...times.slice(0, at), timestamp, ...times.slice(at)]);
    }
    // New arrays: values put into state are never mutated afterwards.
    this.buffers[side].put(timestamp, existing ? [...existing, record] : [record]);
  }

  /** The buffer's timestamps, ascending (rebuilt from the buffer for state that has no index). */
  private timestamps(side: Side): number[] {
    return this.indexes[side].value() ?? this.buffers[side].keys().sort((a, b) => a - b);
  }

  private emit(left: IN1, leftTs: number, right: IN2, rightTs: number): void {
    this.leftTs = leftTs;
    this.rightTs = rightTs;
    this.context.recordTimestamp.value = Math.max(leftTs, rightTs);
    this.join(left, right, this.joinContext, this.output);
  }

  /** The cleanup timer of elements at one timestamp of one side fired. */
  private cleanUp(side: Side, timerTs: number): void {
    const { lowerMs, upperMs } = this.settings;
    const to = side === 'left' ? upperMs : -lowerMs;
    const timestamp = to > 0 ? timerTs - to : timerTs;
    this.buffers[side].remove(timestamp);
    const times = this.timestamps(side).filter((t) => t !== timestamp);
    if (times.length > 0) this.indexes[side].update(times);
    else this.indexes[side].clear();
  }
}

/** The index of the first element of ascending `times` that is >= `t` (times.length if none). */
function firstAtOrAfter(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
