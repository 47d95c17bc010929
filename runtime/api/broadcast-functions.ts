/** User function types of the broadcast state pattern (Flink's names). */
import type { MapStateDescriptor } from '../state/state-descriptors';
import type { BroadcastState, ReadOnlyBroadcastState } from '../state/state-types';
import type { Collector, OnTimerContext, ProcessContext, RuntimeInfo, TimeDomain } from './functions';
import type { OutputTag } from './output-tag';
import type { RichFunction } from './rich-functions';

/** What both sides of a broadcast process function see (Flink's BaseBroadcastProcessFunction.BaseContext). */
export interface BroadcastBaseContext extends RuntimeInfo {
  /** The timestamp of the record being processed (or of the firing timer); undefined when it has none. */
  timestamp(): number | undefined;
  /** Emits `value` to the side output `tag`, with the current timestamp. */
  output<X>(tag: OutputTag<X>, value: X): void;
  currentProcessingTime(): number;
  /** The operator's event time (-Infinity before the first watermark). */
  currentWatermark(): number;
}

/**
 * The context of `processElement` (Flink's ReadOnlyContext): the broadcast states read-only
 * (a change throws), and on a keyed stream the keyed state and timers of the record's key.
 */
export interface ReadOnlyBroadcastContext extends ProcessContext, BroadcastBaseContext {
  /** One of the states named in `broadcast(...descriptors)`, read-only. */
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V>;
}

/**
 * The context of `processBroadcastElement` (Flink's Context): the broadcast states read-write.
 * Each subtask receives every broadcast record and keeps its own copy of the states, so the
 * function must change them the same way in every subtask (depend on the record only).
 */
export interface BroadcastContext extends BroadcastBaseContext {
  /** One of the states named in `broadcast(...descriptors)`, read-write. */
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
}

/** `dataStream.connect(broadcastStream).process(fn)` (Flink's BroadcastProcessFunction). */
export interface BroadcastProcessFunction<IN1, IN2, OUT> extends RichFunction {
  /** A record of the non-broadcast input, with the broadcast states read-only. */
  processElement(value: IN1, ctx: ReadOnlyBroadcastContext, out: Collector<OUT>): void;
  /** A record of the broadcast input (every subtask gets each), with the broadcast states read-write. */
  processBroadcastElement(value: IN2, ctx: BroadcastContext, out: Collector<OUT>): void;
  /** Called once per subtask after the last record of both inputs (bounded inputs only). */
  onEndOfInput?(out: Collector<OUT>): void;
}

/** The context of `onTimer` in a keyed broadcast process function (Flink's OnTimerContext). */
export interface KeyedBroadcastOnTimerContext<K> extends ReadOnlyBroadcastContext, OnTimerContext {
  getCurrentKey(): K;
  timeDomain(): TimeDomain;
}

/**
 * `keyedStream.connect(broadcastStream).process(fn)` (Flink's KeyedBroadcastProcessFunction):
 * `processElement` also gets keyed state and timers of the record's key; `onTimer` fires them.
 * `processBroadcastElement` has no current key, so keyed state is not available there.
 */
export interface KeyedBroadcastProcessFunction<K, IN1, IN2, OUT> extends BroadcastProcessFunction<
  IN1,
  IN2,
  OUT
> {
  processElement(
    value: IN1,
    ctx: ReadOnlyBroadcastContext & { getCurrentKey(): K },
    out: Collector<OUT>,
  ): void;
  /** A timer of the current key fired; output is stamped with the timer's time. */
  onTimer?(timestamp: number, ctx: KeyedBroadcastOnTimerContext<K>, out: Collector<OUT>): void;
}
