/** User function types of two-input operators: co-process, joins and co-group (Flink's names). */
import type { Collector, OnTimerContext, ProcessContext } from './functions';
import type { OutputTag } from './output-tag';

/**
 * Which inputs a two-input operator reads next (Flink's InputSelection): a function that
 * implements `nextSelection()` is asked after every record. See docs/input-selection.md.
 */
export const InputSelection = {
  FIRST: 'first',
  SECOND: 'second',
  ALL: 'all',
} as const;
export type InputSelection = (typeof InputSelection)[keyof typeof InputSelection];

/**
 * A two-input function that chooses which input it reads next (Flink's InputSelectable),
 * e.g. a hash join reading its build side (FIRST) to the end before its probe side. Records of
 * an input not selected are kept, in order, in the operator's state and handed over once the
 * input is selected (or the selected one ended); checkpoints include them.
 */
export interface InputSelectable {
  nextSelection(): InputSelection;
}

/** `connect(other).process(fn)` (Flink's CoProcessFunction): side outputs, no keyed state or timers. */
export interface CoProcessFunction<IN1, IN2, OUT> extends Partial<InputSelectable> {
  processElement1(value: IN1, ctx: ProcessContext, out: Collector<OUT>): void;
  processElement2(value: IN2, ctx: ProcessContext, out: Collector<OUT>): void;
  /** Called once per subtask after the last record of both inputs (bounded inputs only). */
  onEndOfInput?(out: Collector<OUT>): void;
}

/**
 * `connect(other).keyBy(k1, k2).process(fn)` (Flink's KeyedCoProcessFunction): keyed state of the
 * current key, shared by both inputs, and timers of that key (`ctx.timerService()`).
 */
export interface KeyedCoProcessFunction<K, IN1, IN2, OUT> extends CoProcessFunction<IN1, IN2, OUT> {
  /** A timer of the current key fired; `ctx.getCurrentKey()` is that key, output is stamped with the time. */
  onTimer?(timestamp: number, ctx: OnTimerContext & { getCurrentKey(): K }, out: Collector<OUT>): void;
}

/** What an interval join's function sees besides the pair (Flink's ProcessJoinFunction.Context). */
export interface ProcessJoinContext {
  /** Timestamp of the left (first) element. */
  getLeftTimestamp(): number;
  /** Timestamp of the right (second) element. */
  getRightTimestamp(): number;
  /** The larger of the two: the timestamp the output carries. */
  getTimestamp(): number;
  /** Emits `value` to the side output `tag`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Called for each pair of an interval join (Flink's ProcessJoinFunction). */
export type ProcessJoinFunction<IN1, IN2, OUT> =
  | ((left: IN1, right: IN2, ctx: ProcessJoinContext, out: Collector<OUT>) => void)
  | { processElement(left: IN1, right: IN2, ctx: ProcessJoinContext, out: Collector<OUT>): void };

/** Called for each pair of a window join (Flink's JoinFunction). */
export type JoinFunction<IN1, IN2, OUT> = (first: IN1, second: IN2) => OUT;

/** Called for each pair of a window join, emitting any number of records (Flink's FlatJoinFunction). */
export type FlatJoinFunction<IN1, IN2, OUT> = (first: IN1, second: IN2, out: Collector<OUT>) => void;

/** Called once per window and key with the elements of both sides (Flink's CoGroupFunction). */
export type CoGroupFunction<IN1, IN2, OUT> = (
  first: readonly IN1[],
  second: readonly IN2[],
  out: Collector<OUT>,
) => void;
