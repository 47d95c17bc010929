/** User function types of the DataStream API. Functions are plain values; none is ever serialized. */
import type { KeyedStateStore } from '../state/state-types';
import type { OutputTag } from './output-tag';
import type { RichFunction } from './rich-functions';

export type {
  AggregateFunction,
  AggregatingState,
  BroadcastState,
  KeyedStateStore,
  ListState,
  MapState,
  OperatorStateStore,
  ReadOnlyBroadcastState,
  ReducingState,
  ValueState,
} from '../state/state-types';

/** Receives the records an operator emits. */
export interface Collector<T> {
  collect(record: T): void;
}

export type MapFunction<IN, OUT> = (value: IN) => OUT;
export type FlatMapFunction<IN, OUT> = (value: IN, out: Collector<OUT>) => void;
export type FilterFunction<T> = (value: T) => boolean;
export type ReduceFunction<T> = (accumulated: T, value: T) => T;
export type KeySelector<T, K> = (value: T) => K;

/** Keys must be stable when serialized: strings, numbers, booleans, or arrays/objects of those. */
export type Key = string | number | boolean | bigint | readonly unknown[] | Record<string, unknown>;

/**
 * Access to keyed state for the current key: states are registered by name (unique per
 * operator) with a descriptor, e.g. `getListState(new ListStateDescriptor<T>('seen'))`, and
 * scoped to the key of the record being processed.
 */
export interface KeyedStateAccess extends KeyedStateStore {
  /** The key of the record being processed. */
  getCurrentKey(): unknown;
}

/** Where a function runs (Flink's RuntimeContext task info). */
export interface RuntimeInfo {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly operatorName: string;
  /** The operator's max parallelism (its number of key groups). */
  readonly maxParallelism: number;
  /** The task, as Flink names it: `<chain name> (<subtask + 1>/<parallelism>)`. */
  readonly taskName: string;
  /** Which run of the job this is: 0 first, one more after each restart. */
  readonly attemptNumber: number;
  /** The job's arguments (`--arg key=value`), Flink's global job parameters. */
  readonly jobParameters: Readonly<Record<string, string>>;
}

/** What a function's `getRuntimeContext()` gives (Flink's RuntimeContext): keyed state and task info. */
export interface RuntimeContext extends KeyedStateAccess, RuntimeInfo {}

/**
 * Timers of the current key (Flink's TimerService), in `keyBy(...).process(...)`. Times are ms
 * since the epoch. An event-time timer fires once the operator's watermark reaches it, a
 * processing-time timer once the wall clock does; either calls the function's `onTimer` with
 * the key it was registered for. One timer per key and time: registering it again changes
 * nothing. Timers are keyed state: checkpointed and restored with the key.
 */
export interface TimerService {
  currentProcessingTime(): number;
  /** The operator's event time (-Infinity before the first watermark). */
  currentWatermark(): number;
  registerEventTimeTimer(time: number): void;
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
}

export interface ProcessContext extends RuntimeContext {
  /** The same state and task info, by Flink's name. */
  getRuntimeContext(): RuntimeContext;
  /** The timestamp of the record being processed (or of the firing timer); undefined when it has none. */
  timestamp(): number | undefined;
  /** Timers for the current key; keyed operators only. */
  timerService(): TimerService;
  /** Emits `value` to the side output `tag` (read with `getSideOutput(tag)`), with the current timestamp. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

export type TimeDomain = 'event-time' | 'processing-time';

export interface OnTimerContext extends ProcessContext {
  /** Which clock fired the timer. */
  timeDomain(): TimeDomain;
}

/** `keyBy(...).process(fn)`: one call per record, with keyed state for that record's key. */
export type KeyedProcessFunction<IN, OUT> =
  | ((value: IN, ctx: ProcessContext, out: Collector<OUT>) => void)
  | (RichFunction & {
      processElement(value: IN, ctx: ProcessContext, out: Collector<OUT>): void;
      /** A timer of the current key fired; output is stamped with the timer's time. */
      onTimer?(timestamp: number, ctx: OnTimerContext, out: Collector<OUT>): void;
      /** Called once per subtask after the last record (bounded inputs only). */
      onEndOfInput?(out: Collector<OUT>): void;
    });

/** `stream.process(fn)` on a non-keyed stream (Flink's ProcessFunction): no keyed state, no timers. */
export type ProcessFunction<IN, OUT> =
  | ((value: IN, ctx: ProcessContext, out: Collector<OUT>) => void)
  | (RichFunction & {
      processElement(value: IN, ctx: ProcessContext, out: Collector<OUT>): void;
      /** Called once per subtask after the last record (bounded inputs only). */
      onEndOfInput?(out: Collector<OUT>): void;
    });

export interface CoMapFunction<IN1, IN2, OUT> extends RichFunction {
  map1(value: IN1): OUT;
  map2(value: IN2): OUT;
}

/**
 * Co-flat-map over connected streams. When both inputs are keyed, `ctx` gives keyed state
 * for the current key, shared by both inputs (the usual way to enrich or join).
 */
export interface CoFlatMapFunction<IN1, IN2, OUT> extends RichFunction {
  flatMap1(value: IN1, out: Collector<OUT>, ctx: ProcessContext): void;
  flatMap2(value: IN2, out: Collector<OUT>, ctx: ProcessContext): void;
}
