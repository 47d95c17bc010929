import type { Collector, RuntimeContext } from './functions';

/**
 * The lifecycle a user function given as an object may have (Flink's RichFunction). `open`
 * runs once per subtask before the first record, with the task's runtime info and, on keyed
 * streams, keyed state (register descriptors here; values belong to the key of each record
 * later). `close` runs once at the end: after the end of input, and also when the task is
 * canceled or fails (then to release what `open` acquired; output is no longer possible).
 */
export interface RichFunction {
  open?(ctx: RuntimeContext): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** `map` given as an object with a lifecycle (Flink's RichMapFunction). */
export interface RichMapFunction<IN, OUT> extends RichFunction {
  map(value: IN): OUT;
}

/** `flatMap` given as an object with a lifecycle (Flink's RichFlatMapFunction). */
export interface RichFlatMapFunction<IN, OUT> extends RichFunction {
  flatMap(value: IN, out: Collector<OUT>): void;
}

/** `filter` given as an object with a lifecycle (Flink's RichFilterFunction). */
export interface RichFilterFunction<T> extends RichFunction {
  filter(value: T): boolean;
}

/** A filter that is a type guard, as a function or an object: the filtered stream has type S. */
export type TypeGuardFilter<T, S extends T> =
  ((value: T) => value is S) | (RichFunction & { filter(value: T): value is S });
