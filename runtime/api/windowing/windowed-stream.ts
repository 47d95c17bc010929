import { InvalidJobError } from '../../errors';
import type { DataStream, KeyedStream } from '../data-stream';
import type { AggregateFunction, Collector, KeySelector, ReduceFunction } from '../functions';
import type { WindowContents } from '../operators/window-operator';
import { WindowOperator } from '../operators/window-operator';
import type { OutputTag } from '../output-tag';
import type { RichFunction } from '../rich-functions';
import { outputTagId } from '../output-tag';
import type { Trigger } from './triggers';
import type { TimeWindow, WindowAssigner } from './window-assigners';

/** What `process` on a window gets besides the elements (Flink's ProcessWindowFunction.Context). */
export interface WindowContext {
  readonly window: TimeWindow;
  /** The operator's event time when the window fired. */
  currentWatermark(): number;
  /** Emits `value` to the side output `tag`, stamped with the window's last instant. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

type ProcessWindow<IN, OUT, K> = (
  key: K,
  context: WindowContext,
  elements: readonly IN[],
  out: Collector<OUT>,
) => void;

/**
 * All elements of a window at once, with the window (Flink's ProcessWindowFunction); as an
 * object, `process` with an optional lifecycle (`open` / `close`, see RichFunction).
 */
export type ProcessWindowFunction<IN, OUT, K> =
  ProcessWindow<IN, OUT, K> | (RichFunction & { process: ProcessWindow<IN, OUT, K> });

/**
 * A keyed stream cut into windows (Flink's WindowedStream): `reduce` and `aggregate` keep one
 * value per window and key, `process` keeps all elements. Output records carry the window's
 * last instant (end - 1) as their timestamp.
 */
export class WindowedStream<T, K> {
  private lateness = 0;
  private customTrigger: Trigger | undefined;
  private lateDataTag: string | undefined;

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

  /** Replaces the assigner's default trigger (Flink's `trigger`), e.g. `CountTrigger.of(100)`. */
  trigger(trigger: Trigger<T>): this {
    const t = trigger as Partial<Trigger<T>> | undefined;
    for (const method of ['onElement', 'onEventTime', 'onProcessingTime', 'clear'] as const) {
      if (typeof t?.[method] !== 'function')
        throw new InvalidJobError(`trigger() needs a Trigger with ${method}(), e.g. CountTrigger.of(100)`);
    }
    if (this.assigner.isMerging && typeof t?.onMerge !== 'function')
      throw new InvalidJobError('a trigger of session windows needs onMerge()');
    this.customTrigger = trigger as Trigger;
    return this;
  }

  /** Sends records too late for every window (past the allowed lateness) to the side output `tag`. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateDataTag = outputTagId(tag, 'sideOutputLateData()');
    return this;
  }

  reduce(fn: ReduceFunction<T>): DataStream<T> {
    return this.build<T, T>('Window(Reduce)', {
      add: (acc, value) => (acc === undefined ? (value as T) : fn(acc, value as T)),
      merge: (a, b) => fn(a, b),
      emit: (_key, _window, acc, out) => out.collect(acc),
    });
  }

  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): DataStream<R> {
    return this.build<ACC, R>('Window(Aggregate)', {
      add: (acc, value) => fn.add(value as T, acc === undefined ? fn.createAccumulator() : acc),
      merge: (a, b) => fn.merge(a, b),
      emit: (_key, _window, acc, out) => out.collect(fn.getResult(acc)),
    });
  }

  process<R>(fn: ProcessWindowFunction<T, R, K>): DataStream<R> {
    if (typeof fn !== 'function' && typeof fn?.process !== 'function')
      throw new InvalidJobError('process() on a window needs a function or an object with a process method');
    const call: ProcessWindow<T, R, K> = typeof fn === 'function' ? fn : fn.process.bind(fn);
    return this.build<T[], R>('Window(Process)', {
      userFunction: fn,
      // Appends in place (written back to state after each add; heap snapshots copy arrays when
      // they capture them, and emit hands out a copy), so a window of n elements costs O(n).
      add: (acc, value) => {
        if (acc === undefined) return [value as T];
        acc.push(value as T);
        return acc;
      },
      merge: (a, b) => [...a, ...b],
      emit: (key, window, elements, out, ctx) =>
        call(
          key as K,
          {
            window,
            currentWatermark: () => ctx.watermark,
            output: (tag, value) => ctx.side.emit(outputTagId(tag, 'ctx.output()'), value),
          },
          // A copy: the window may take more elements after firing, and what the user keeps must not change.
          elements.slice(),
          out as Collector<R>,
        ),
    });
  }

  private build<ACC, R>(name: string, contents: WindowContents<ACC>): DataStream<R> {
    const selector = this.input.keySelector as KeySelector<unknown, unknown>;
    const settings = {
      assigner: this.assigner,
      trigger: this.customTrigger,
      allowedLatenessMs: this.lateness,
      lateDataTag: this.lateDataTag,
    };
    const stream = this.input.windowOperator<R>(
      name,
      () => new WindowOperator<ACC>(selector, contents, settings),
    );
    return this.nonParallel ? stream.setParallelism(1).setMaxParallelism(1) : stream;
  }
}
