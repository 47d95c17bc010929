import { InvalidJobError } from '../../errors';
import { DataStream } from '../data-stream';
import type { KeyedStream } from '../data-stream';
import type { KeySelector } from '../functions';
import type { OutputTag } from '../output-tag';
import { outputTagId } from '../output-tag';
import type { ProcessJoinFunction } from '../two-input-functions';
import { IntervalJoinOperator } from './interval-join-operator';

/** `a.keyBy(k).intervalJoin(b.keyBy(k))`: waits for the interval (Flink's KeyedStream.IntervalJoin). */
export class IntervalJoin<T1, T2, K> {
  constructor(
    private readonly left: KeyedStream<T1, K>,
    private readonly right: KeyedStream<T2, K>,
  ) {
    if (left.env !== right.env)
      throw new InvalidJobError('intervalJoin: streams come from different environments');
  }

  /**
   * Joins a left element at t1 with right elements of its key at t1 + lowerMs <= t2 <= t1 + upperMs
   * (event time; both bounds inclusive unless made exclusive).
   */
  between(lowerMs: number, upperMs: number): IntervalJoined<T1, T2, K> {
    for (const [name, v] of [
      ['lower', lowerMs],
      ['upper', upperMs],
    ] as const) {
      if (!Number.isInteger(v))
        throw new InvalidJobError(`intervalJoin: the ${name} bound ${v} is not an integer ms`);
    }
    if (lowerMs > upperMs)
      throw new InvalidJobError(
        `intervalJoin: the lower bound ${lowerMs} ms is above the upper bound ${upperMs} ms`,
      );
    return new IntervalJoined(this.left, this.right, lowerMs, upperMs);
  }
}

/** An interval join with its bounds (Flink's IntervalJoined). */
export class IntervalJoined<T1, T2, K> {
  private lowerExclusive = false;
  private upperExclusive = false;
  private lateTags: [string | undefined, string | undefined] = [undefined, undefined];

  constructor(
    private readonly left: KeyedStream<T1, K>,
    private readonly right: KeyedStream<T2, K>,
    private readonly lowerMs: number,
    private readonly upperMs: number,
  ) {}

  lowerBoundExclusive(): this {
    this.lowerExclusive = true;
    return this;
  }

  upperBoundExclusive(): this {
    this.upperExclusive = true;
    return this;
  }

  /** Left records behind the watermark go to side output `tag` instead of being dropped. */
  sideOutputLeftLateData(tag: OutputTag<T1>): this {
    this.lateTags[0] = outputTagId(tag, 'sideOutputLeftLateData()');
    return this;
  }

  /** Right records behind the watermark go to side output `tag` instead of being dropped. */
  sideOutputRightLateData(tag: OutputTag<T2>): this {
    this.lateTags[1] = outputTagId(tag, 'sideOutputRightLateData()');
    return this;
  }

  /** Calls `fn` for every joined pair (Flink's ProcessJoinFunction). */
  process<R>(fn: ProcessJoinFunction<T1, T2, R>): DataStream<R> {
    const f = fn as Partial<Exclude<ProcessJoinFunction<T1, T2, R>, (...a: never[]) => void>> | undefined;
    if (typeof fn !== 'function' && typeof f?.processElement !== 'function')
      throw new InvalidJobError('intervalJoin process() needs a function or an object with processElement()');
    const lowerMs = this.lowerMs + (this.lowerExclusive ? 1 : 0);
    const upperMs = this.upperMs - (this.upperExclusive ? 1 : 0);
    if (lowerMs > upperMs)
      throw new InvalidJobError(
        `intervalJoin: the exclusive bounds ${this.lowerMs}..${this.upperMs} ms hold no time`,
      );
    const selectors = [
      this.left.keySelector as KeySelector<unknown, unknown>,
      this.right.keySelector as KeySelector<unknown, unknown>,
    ] as const;
    const settings = { lowerMs, upperMs, lateTags: [...this.lateTags] as const };
    const env = this.left.env;
    const inputs = [...this.left.inputsFor(0), ...this.right.inputsFor(1)];
    const create = () => new IntervalJoinOperator<T1, T2, R>(selectors, settings, fn);
    return new DataStream<R>(
      env,
      env.addTransformation('intervalJoin', 'IntervalJoin', inputs, 2, create, true),
    );
  }
}
