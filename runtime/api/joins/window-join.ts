import { InvalidJobError } from '../../errors';
import type { DataStream } from '../data-stream';
import type { Collector, KeySelector } from '../functions';
import type { CoGroupFunction, FlatJoinFunction, JoinFunction } from '../two-input-functions';
import type { Trigger } from '../windowing/triggers';
import type { WindowAssigner } from '../windowing/window-assigners';

/** An element of either input on its way to the shared window: which input, and the value. */
type Tagged = readonly [input: 0 | 1, value: unknown];

/** Calls `emit` once per window and key with the elements of each side, in arrival order. */
type WindowEmit<R> = (first: unknown[], second: unknown[], out: Collector<R>) => void;

/**
 * `a.join(b)` and `a.coGroup(b)` up to `.window(...)`: the key of each side (Flink's
 * JoinedStreams / CoGroupedStreams and their Where / EqualTo steps).
 */
class TwoStreamsByKey<T1, T2, W> {
  constructor(
    private readonly first: DataStream<T1>,
    private readonly second: DataStream<T2>,
    private readonly what: 'join' | 'coGroup',
    private readonly windowed: (
      first: DataStream<T1>,
      second: DataStream<T2>,
      keys: Keys,
      a: WindowAssigner,
    ) => W,
  ) {
    if (first.env !== second.env)
      throw new InvalidJobError(`${what}: streams come from different environments`);
  }

  where<K>(key1: KeySelector<T1, K>): {
    equalTo(key2: KeySelector<T2, K>): { window(assigner: WindowAssigner): W };
  } {
    if (typeof key1 !== 'function')
      throw new InvalidJobError(`${this.what}().where() needs a key selector function`);
    return {
      equalTo: (key2) => {
        if (typeof key2 !== 'function')
          throw new InvalidJobError(`${this.what}().equalTo() needs a key selector function`);
        const keys: Keys = [key1 as KeySelector<unknown, unknown>, key2 as KeySelector<unknown, unknown>];
        return { window: (assigner) => this.windowed(this.first, this.second, keys, assigner) };
      },
    };
  }
}

type Keys = readonly [KeySelector<unknown, unknown>, KeySelector<unknown, unknown>];

/**
 * Both inputs in shared windows: tagged by side, unioned, keyed by the side's key and cut into
 * windows of `assigner` (as Flink builds joins and co-groups), so window contents live in the
 * state backend like any window's. Output carries the window's last instant as timestamp.
 */
class WindowedTwoStreams<T1, T2> {
  private customTrigger: Trigger | undefined;
  private lateness = 0;

  constructor(
    private readonly first: DataStream<T1>,
    private readonly second: DataStream<T2>,
    private readonly keys: Keys,
    private readonly assigner: WindowAssigner,
    private readonly what: string,
  ) {}

  /** Replaces the assigner's default trigger. */
  trigger(trigger: Trigger): this {
    this.customTrigger = trigger;
    return this;
  }

  /** Keeps event-time windows `ms` past their end. */
  allowedLateness(ms: number): this {
    this.lateness = ms;
    return this;
  }

  protected build<R>(name: string, emit: WindowEmit<R>): DataStream<R> {
    const tag =
      (input: 0 | 1) =>
      (value: unknown): Tagged => [input, value];
    const tagged = this.first
      .map<Tagged>(tag(0))
      .name(`${this.what}: tag first`)
      .union(this.second.map<Tagged>(tag(1)).name(`${this.what}: tag second`));
    const [key1, key2] = this.keys;
    let windowed = tagged.keyBy((t) => (t[0] === 0 ? key1(t[1]) : key2(t[1]))).window(this.assigner);
    if (this.customTrigger) windowed = windowed.trigger(this.customTrigger);
    if (this.lateness > 0) windowed = windowed.allowedLateness(this.lateness);
    return windowed
      .process<R>((_key, _ctx, elements, out) => {
        const first: unknown[] = [];
        const second: unknown[] = [];
        for (const [input, value] of elements) (input === 0 ? first : second).push(value);
        emit(first, second, out);
      })
      .name(name);
  }
}

/** A window join with its window (Flink's JoinedStreams.WithWindow). */
export class JoinWithWindow<T1, T2> extends WindowedTwoStreams<T1, T2> {
  /**
   * Calls `fn` for every pair of a first and a second element with the same key in the same
   * window: a JoinFunction `(first, second) => result`, or a FlatJoinFunction
   * `(first, second, out) => void` (told apart by the number of parameters).
   */
  apply<R>(fn: JoinFunction<T1, T2, R>): DataStream<R>;
  apply<R>(fn: FlatJoinFunction<T1, T2, R>): DataStream<R>;
  apply<R>(fn: JoinFunction<T1, T2, R> | FlatJoinFunction<T1, T2, R>): DataStream<R> {
    if (typeof fn !== 'function') throw new InvalidJobError('join().apply() needs a JoinFunction');
    const flat = fn.length >= 3;
    return this.build<R>('Window Join', (first, second, out) => {
      for (const a of first)
        for (const b of second) {
          if (flat) (fn as FlatJoinFunction<T1, T2, R>)(a as T1, b as T2, out);
          else out.collect((fn as JoinFunction<T1, T2, R>)(a as T1, b as T2));
        }
    });
  }
}

/** A co-group with its window (Flink's CoGroupedStreams.WithWindow). */
export class CoGroupWithWindow<T1, T2> extends WindowedTwoStreams<T1, T2> {
  /** Calls `fn` once per key and window with the elements of both sides (either may be empty). */
  apply<R>(fn: CoGroupFunction<T1, T2, R>): DataStream<R> {
    if (typeof fn !== 'function') throw new InvalidJobError('coGroup().apply() needs a CoGroupFunction');
    return this.build<R>('Window CoGroup', (first, second, out) => fn(first as T1[], second as T2[], out));
  }
}

/** `a.join(b)` (Flink's JoinedStreams): `.where(k1).equalTo(k2).window(assigner).apply(fn)`. */
export class JoinedStreams<T1, T2> extends TwoStreamsByKey<T1, T2, JoinWithWindow<T1, T2>> {
  constructor(first: DataStream<T1>, second: DataStream<T2>) {
    super(first, second, 'join', (a, b, keys, assigner) => new JoinWithWindow(a, b, keys, assigner, 'Join'));
  }
}

/** `a.coGroup(b)` (Flink's CoGroupedStreams): `.where(k1).equalTo(k2).window(assigner).apply(fn)`. */
export class CoGroupedStreams<T1, T2> extends TwoStreamsByKey<T1, T2, CoGroupWithWindow<T1, T2>> {
  constructor(first: DataStream<T1>, second: DataStream<T2>) {
    super(
      first,
      second,
      'coGroup',
      (a, b, keys, assigner) => new CoGroupWithWindow(a, b, keys, assigner, 'CoGroup'),
    );
  }
}
