import { InvalidJobError } from '../../errors';
import type { DataStream, KeyedStream } from '../data-stream';
import type { AggregateFunction, Collector, KeySelector, ReduceFunction } from '../functions';
import type { WindowContents } from '../operators/window-operator';
import { WindowOperator } from '../operators/window-operator';
import type { TimeWindow, WindowAssigner } from './window-assigners';

/** What `process` on a window gets besides the elements (Flink's ProcessWindowFunction.Context). */
export interface WindowContext {
  readonly window: TimeWindow;
  /** The operator's event time when the window fired. */
  currentWatermark(): number;
}

/** All elements of a window at once, with the window (Flink's ProcessWindowFunction). */
export type ProcessWindowFunction<IN, OUT, K> = (
  key: K,
  context: WindowContext,
  elements: readonly IN[],
  out: Collector<OUT>,
) => void;

/**
 * A keyed stream cut into windows (Flink's WindowedStream): `reduce` and `aggregate` keep one
 * value per window and key, `process` keeps all elements. Output records carry the window's
 * last instant (end - 1) as their timestamp.
 */
export class WindowedStream<T, K> {
  private lateness = 0;

  constructor(
    private readonly input: KeyedStream<T, K>,
    private readonly assigner: WindowAssigner,
    /** windowAll: the one subtask that sees every record. */
    private readonly nonParallel = false,
  ) {
    if (!assigner || typeof assigner.assignWindows !== 'function')
      throw new InvalidJobError('window() needs a window assigner, e.g. TumblingEventTimeWindows.of(60_000)');
  }

  /** Keeps event-time windows `ms` past their end; late records that fit fire them again. */
  allowedLateness(ms: number): this {
    if (!Number.isInteger(ms) || ms < 0)
      throw new InvalidJobError(`allowedLateness: ${ms} is not an integer >= 0 ms`);
    if (!this.assigner.isEventTime && ms > 0)
      throw new InvalidJobError('allowedLateness applies to event-time windows only');
    this.lateness = ms;
    return this;
  }

  reduce(fn: ReduceFunction<T>): DataStream<T> {
    return this.build<T, T>('Window(Reduce)', {
      add: (acc, value) => (acc === undefined ? (value as T) : fn(acc, value as T)),
      emit: (_key, _window, acc, out) => out.collect(acc),
    });
  }

  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): DataStream<R> {
    return this.build<ACC, R>('Window(Aggregate)', {
      add: (acc, value) => fn.add(value as T, acc === undefined ? fn.createAccumulator() : acc),
      emit: (_key, _window, acc, out) => out.collect(fn.getResult(acc)),
    });
  }

  process<R>(fn: ProcessWindowFunction<T, R, K>): DataStream<R> {
    return this.build<T[], R>('Window(Process)', {
      // A new array each time: values put into state are never mutated afterwards.
      add: (acc, value) => (acc === undefined ? [value as T] : [...acc, value as T]),
      emit: (key, window, elements, out, watermark) =>
        fn(key as K, { window, currentWatermark: () => watermark }, elements, out as Collector<R>),
    });
  }

  private build<ACC, R>(name: string, contents: WindowContents<ACC>): DataStream<R> {
    const selector = this.input.keySelector as KeySelector<unknown, unknown>;
    const lateness = this.lateness;
    const assigner = this.assigner;
    const stream = this.input.windowOperator<R>(
      name,
      () => new WindowOperator<ACC>(selector, assigner, contents, lateness),
    );
    return this.nonParallel ? stream.setParallelism(1).setMaxParallelism(1) : stream;
  }
}
