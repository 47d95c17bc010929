/** User function types of the DataStream API. Functions are plain values; none is ever serialized. */

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

/** Keyed value state: one value per key, scoped to the record being processed. */
export interface ValueState<T> {
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

/** Access to keyed state for the current key. */
export interface KeyedStateAccess {
  /** The key of the record being processed. */
  getCurrentKey(): unknown;
  /** Value state registered under `name` (unique per operator). */
  getState<T>(name: string): ValueState<T>;
}

export interface RuntimeInfo {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly operatorName: string;
}

export interface ProcessContext extends KeyedStateAccess, RuntimeInfo {}

/** `keyBy(...).process(fn)`: one call per record, with keyed state for that record's key. */
export type KeyedProcessFunction<IN, OUT> =
  | ((value: IN, ctx: ProcessContext, out: Collector<OUT>) => void)
  | {
      processElement(value: IN, ctx: ProcessContext, out: Collector<OUT>): void;
      /** Called once per subtask after the last record (bounded inputs only). */
      onEndOfInput?(out: Collector<OUT>): void;
    };

export interface CoMapFunction<IN1, IN2, OUT> {
  map1(value: IN1): OUT;
  map2(value: IN2): OUT;
}

/**
 * Co-flat-map over connected streams. When both inputs are keyed, `ctx` gives keyed state
 * for the current key, shared by both inputs (the usual way to enrich or join).
 */
export interface CoFlatMapFunction<IN1, IN2, OUT> {
  flatMap1(value: IN1, out: Collector<OUT>, ctx: ProcessContext): void;
  flatMap2(value: IN2, out: Collector<OUT>, ctx: ProcessContext): void;
}
