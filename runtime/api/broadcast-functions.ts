/** User function types of the broadcast state pattern (Flink's names). */
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from '../state/state-descriptors';
import type {
  AggregatingState,
  BroadcastState,
  ListState,
  MapState,
  ReadOnlyBroadcastState,
  ReducingState,
  ValueState,
} from '../state/state-types';
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

/**
 * The context of `processBroadcastElement` on a keyed stream (Flink's
 * KeyedBroadcastProcessFunction.Context): also `applyToKeyedState`, which calls `fn` with every
 * key of this subtask that has a value in the state of `descriptor`, and that key's state, e.g.
 * to clear what a rule made obsolete. The state of one key at a time, like in `processElement`.
 */
export interface KeyedBroadcastContext<K> extends BroadcastContext {
  applyToKeyedState<T>(descriptor: ValueStateDescriptor<T>, fn: (key: K, state: ValueState<T>) => void): void;
  applyToKeyedState<T>(descriptor: ListStateDescriptor<T>, fn: (key: K, state: ListState<T>) => void): void;
  applyToKeyedState<UK, UV>(
    descriptor: MapStateDescriptor<UK, UV>,
    fn: (key: K, state: MapState<UK, UV>) => void,
  ): void;
  applyToKeyedState<T>(
    descriptor: ReducingStateDescriptor<T>,
    fn: (key: K, state: ReducingState<T>) => void,
  ): void;
  applyToKeyedState<IN, ACC, OUT>(
    descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
    fn: (key: K, state: AggregatingState<IN, OUT>) => void,
  ): void;
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
 * `processBroadcastElement` has no current key: it reaches keyed state through `ctx.applyToKeyedState`.
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
  processBroadcastElement(value: IN2, ctx: KeyedBroadcastContext<K>, out: Collector<OUT>): void;
  /** A timer of the current key fired; output is stamped with the timer's time. */
  onTimer?(timestamp: number, ctx: KeyedBroadcastOnTimerContext<K>, out: Collector<OUT>): void;
}
