import { InvalidJobError } from '../errors';
import type { MapStateDescriptor } from '../state/state-descriptors';
import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from './broadcast-functions';
import { DataStream, KeyedStream } from './data-stream';
import type { KeySelector } from './functions';
import { BroadcastProcessOperator } from './operators/broadcast-process-operator';

/**
 * A stream whose every record goes to every subtask of the operator it is connected to, with
 * the broadcast states that operator keeps (Flink's BroadcastStream), made by
 * `stream.broadcast(...descriptors)`. Connect a data stream to it: `data.connect(broadcast)`.
 */
export class BroadcastStream<T> {
  /** @internal Use `stream.broadcast(...descriptors)`. */
  constructor(
    /** The stream, partitioned to every consumer subtask. */
    readonly stream: DataStream<T>,
    readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {
    if (descriptors.length === 0)
      throw new InvalidJobError(
        'broadcast(...) for the broadcast state pattern needs at least one MapStateDescriptor',
      );
    const names = new Set<string>();
    for (const d of descriptors) {
      // By shape, not instanceof: in a TaskManager the job's bundle has its own copy of the API classes.
      if ((d as Partial<MapStateDescriptor<unknown, unknown>> | undefined)?.kind !== 'map')
        throw new InvalidJobError('broadcast(...) takes MapStateDescriptors, one per broadcast state');
      if (names.has(d.name))
        throw new InvalidJobError(`broadcast(...) names broadcast state '${d.name}' twice`);
      names.add(d.name);
    }
  }
}

/**
 * A (keyed) data stream connected to a broadcast stream (Flink's BroadcastConnectedStream):
 * `process(fn)` with a BroadcastProcessFunction, or on a keyed stream a
 * KeyedBroadcastProcessFunction.
 */
export class BroadcastConnectedStream<IN1, IN2> {
  constructor(
    readonly first: DataStream<IN1>,
    readonly broadcast: BroadcastStream<IN2>,
  ) {
    if (broadcast.stream.env !== first.env)
      throw new InvalidJobError('connect: streams come from different environments');
  }

  /**
   * `processElement` per record of the data stream with the broadcast states read-only,
   * `processBroadcastElement` per broadcast record in every subtask with them read-write.
   * Takes a BroadcastProcessFunction, or on a keyed stream a KeyedBroadcastProcessFunction
   * (with keyed state, timers and `onTimer`).
   */
  process<R>(
    // One type for both: a union would leave an inline object's parameters untyped.
    fn: KeyedBroadcastProcessFunction<unknown, IN1, IN2, R>,
  ): DataStream<R> {
    for (const method of ['processElement', 'processBroadcastElement'] as const) {
      if (typeof (fn as Partial<BroadcastProcessFunction<IN1, IN2, R>> | undefined)?.[method] !== 'function')
        throw new InvalidJobError(
          `process() on a broadcast connected stream needs a function object with ${method}()`,
        );
    }
    const keyed = this.first instanceof KeyedStream;
    const selector = keyed
      ? ((this.first as KeyedStream<IN1, unknown>).keySelector as KeySelector<unknown, unknown>)
      : undefined;
    const descriptors = this.broadcast.descriptors;
    const env = this.first.env;
    const inputs = [...this.first.inputsFor(0), ...this.broadcast.stream.inputsFor(1)];
    const t = env.addTransformation(
      'broadcastProcess',
      keyed ? 'KeyedBroadcastProcess' : 'BroadcastProcess',
      inputs,
      2,
      () => new BroadcastProcessOperator(fn, descriptors, selector),
      keyed,
    );
    return new DataStream<R>(env, t);
  }
}
