import { InvalidJobError } from '../errors';
import { DataStream, KeyedStream } from './data-stream';
import type { CoFlatMapFunction, CoMapFunction, KeySelector } from './functions';
import { CoFlatMapOperator, CoMapOperator } from './operators/co-operators';
import { CoProcessOperator } from './operators/co-process-operator';
import type { CoProcessFunction, KeyedCoProcessFunction } from './two-input-functions';
import type { StreamOperator } from './operators/stream-operator';
import type { OperatorKind } from './transformation';

/** Two streams feeding one two-input operator (Flink's ConnectedStreams). */
export class ConnectedStreams<IN1, IN2> {
  constructor(
    readonly first: DataStream<IN1>,
    readonly second: DataStream<IN2>,
  ) {}

  /** Partitions both inputs by key, so the operator gets keyed state shared by both sides. */
  keyBy<K>(key1: KeySelector<IN1, K>, key2: KeySelector<IN2, K>): ConnectedStreams<IN1, IN2> {
    return new ConnectedStreams(this.first.keyBy(key1), this.second.keyBy(key2));
  }

  map<R>(fn: CoMapFunction<IN1, IN2, R>): DataStream<R> {
    return this.twoInput<R>('coMap', 'Co-Map', () => new CoMapOperator(fn));
  }

  flatMap<R>(fn: CoFlatMapFunction<IN1, IN2, R>): DataStream<R> {
    const selectors = this.keySelectors();
    return this.twoInput<R>('coFlatMap', 'Co-Flat Map', () => new CoFlatMapOperator(fn, selectors));
  }

  /**
   * Per record of either input, with side outputs (Flink's CoProcessFunction); after
   * `keyBy(k1, k2)` also with keyed state shared by both inputs and timers of the current key
   * (KeyedCoProcessFunction). A function with `nextSelection()` chooses which input it reads.
   */
  process<R>(
    fn: CoProcessFunction<IN1, IN2, R> | KeyedCoProcessFunction<unknown, IN1, IN2, R>,
  ): DataStream<R> {
    for (const method of ['processElement1', 'processElement2'] as const) {
      if (typeof (fn as Partial<CoProcessFunction<IN1, IN2, R>> | undefined)?.[method] !== 'function')
        throw new InvalidJobError(`process() on connected streams needs a function object with ${method}()`);
    }
    const selectors = this.keySelectors();
    const name = selectors ? 'KeyedCoProcess' : 'CoProcess';
    const f = fn as KeyedCoProcessFunction<unknown, IN1, IN2, R>;
    return this.twoInput<R>('coProcess', name, () => new CoProcessOperator(f, selectors));
  }

  private keySelectors(): [KeySelector<unknown, unknown>, KeySelector<unknown, unknown>] | undefined {
    const a = this.first instanceof KeyedStream;
    const b = this.second instanceof KeyedStream;
    if (a !== b) throw new InvalidJobError('connect: either both inputs are keyed or neither is');
    if (!a) return undefined;
    return [
      (this.first as KeyedStream<IN1, unknown>).keySelector as KeySelector<unknown, unknown>,
      (this.second as KeyedStream<IN2, unknown>).keySelector as KeySelector<unknown, unknown>,
    ];
  }

  private twoInput<R>(kind: OperatorKind, name: string, create: () => StreamOperator): DataStream<R> {
    const env = this.first.env;
    const inputs = [...this.first.inputsFor(0), ...this.second.inputsFor(1)];
    const keyed = this.keySelectors() !== undefined;
    return new DataStream<R>(env, env.addTransformation(kind, name, inputs, 2, create, keyed));
  }
}
