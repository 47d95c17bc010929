/**
 * The state a user function sees (Flink's `org.apache.flink.api.common.state`). Keyed state is
 * scoped to the key of the record being processed; operator state to the subtask. Values must
 * be plain data that msgpack can encode (numbers, strings, booleans, bigints, null, arrays,
 * plain objects, binary): snapshots and the kv backend store them as bytes. A value passed to
 * `update`/`add`/`put` must not be mutated afterwards; update the state again instead.
 */
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
} from './state-descriptors';

/** One value per key. */
export interface ValueState<T> {
  /** The value for the current key, or the descriptor's default (undefined when none). */
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

/** A list per key (or per subtask, as operator state). */
export interface ListState<T> {
  /** The elements, in insertion order; an empty array when there are none. */
  get(): T[];
  add(value: T): void;
  addAll(values: readonly T[]): void;
  /** Replaces the elements. */
  update(values: readonly T[]): void;
  clear(): void;
}

/** A map per key. User keys follow the rules of keys: equal content is one user key. */
export interface MapState<UK, UV> {
  get(key: UK): UV | undefined;
  put(key: UK, value: UV): void;
  putAll(entries: Iterable<readonly [UK, UV]>): void;
  remove(key: UK): void;
  contains(key: UK): boolean;
  /** The entries, ordered by the user key's serialized bytes. */
  entries(): [UK, UV][];
  keys(): UK[];
  values(): UV[];
  isEmpty(): boolean;
  clear(): void;
}

/** Values added are folded into one with the descriptor's reduce function. */
export interface ReducingState<T> {
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

/** Values added are folded into an accumulator by the descriptor's aggregate function. */
export interface AggregatingState<IN, OUT> {
  /** The result for the current key, or undefined when nothing was added. */
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}

/** Flink's AggregateFunction: an accumulator per key, merged when state is combined. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

/** Where user functions register keyed state, by descriptor (Flink's KeyedStateStore). */
export interface KeyedStateStore {
  /** Value state; a plain name is shorthand for `new ValueStateDescriptor(name)`. */
  getState<T>(descriptor: ValueStateDescriptor<T> | string): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(
    descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
  ): AggregatingState<IN, OUT>;
}

/**
 * A broadcast state as `processElement` of a (keyed) broadcast process function sees it
 * (Flink's ReadOnlyBroadcastState): only the broadcast side changes it, so that every subtask
 * holds the same map. User keys follow the rules of keys; values must not be mutated.
 */
export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  /** The entries, ordered by the user key's serialized bytes. */
  entries(): [K, V][];
  keys(): K[];
  values(): V[];
  isEmpty(): boolean;
}

/**
 * A broadcast state as `processBroadcastElement` sees it (Flink's BroadcastState): a map per
 * subtask, the same in every subtask as long as each broadcast record changes it the same way.
 * Checkpointed with the operator; after a restore at any parallelism every subtask has it whole.
 */
export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  putAll(entries: Iterable<readonly [K, V]>): void;
  remove(key: K): void;
  clear(): void;
}

/** Operator (non-keyed) state of one subtask, for sources and sinks (Flink's OperatorStateStore). */
export interface OperatorStateStore {
  /** List state redistributed by splitting the concatenated lists when the parallelism changes. */
  getListState<T>(descriptor: ListStateDescriptor<T> | string): ListState<T>;
  /** List state of which every subtask gets all elements of all old subtasks on restore. */
  getUnionListState<T>(descriptor: ListStateDescriptor<T> | string): ListState<T>;
  /** A map that every subtask gets whole on restore (one old subtask's copy). */
  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V>;
}
