import { InvalidJobError } from '../errors';
import type { ResourceProfile } from '../deployment/resource-profile';
import { collectSink, printSink } from './connectors/client-sinks';
import { fileSink } from './connectors/file-sink';
import { ConnectedStreams } from './connected-streams';
import { BroadcastConnectedStream, BroadcastStream } from './broadcast-stream';
import type { MapStateDescriptor } from '../state/state-descriptors';
import { IntervalJoin } from './joins/interval-join';
import { CoGroupedStreams, JoinedStreams } from './joins/window-join';
import type { StreamExecutionEnvironment } from './environment';
import { checkMaxParallelism, checkParallelism } from './job-settings';
import type {
  FilterFunction,
  FlatMapFunction,
  KeyedProcessFunction,
  KeySelector,
  MapFunction,
  ProcessFunction,
  ReduceFunction,
} from './functions';
import { FilterOperator, FlatMapOperator, MapOperator, ProcessOperator } from './operators/basic-operators';
import type { OutputTag } from './output-tag';
import { outputTagId } from './output-tag';
import { KeyedProcessOperator, ReduceOperator } from './operators/keyed-operators';
import { SinkOperator } from './operators/source-sink-operators';
import { TimestampsAndWatermarksOperator } from './operators/timestamps-operator';
import type { AsyncFunction, MapAsyncOptions } from './operators/async-wait-operator';
import { AsyncWaitOperator, checkMapAsyncOptions } from './operators/async-wait-operator';
import type { WatermarkStrategy } from './event-time/watermark-strategy';
import type { WindowAssigner } from './windowing/window-assigners';
import { WindowedStream } from './windowing/windowed-stream';
import type { StreamOperator } from './operators/stream-operator';
import type { Sink } from './sink';
import type { OperatorKind, PartitionerSpec, Transformation, TransformationInput } from './transformation';
import type { Partitioner } from './partitioners';
import { customPartitionerSpec } from './partitioners';
import type {
  RichFilterFunction,
  RichFlatMapFunction,
  RichMapFunction,
  TypeGuardFilter,
} from './rich-functions';
import { checkUserFunction, hasOpen } from './operators/function-lifecycle';
import type { Comparable } from './aggregations';
import { aggregationName, extremumByReducer, extremumReducer, sumReducer } from './aggregations';

/** One upstream end of a stream: a transformation and how records leave it. */
export interface StreamHead {
  readonly transformation: Transformation;
  readonly partitioner: PartitionerSpec;
  /** Set when the stream is a side output of the transformation (`getSideOutput`). */
  readonly outputTag?: string;
}

const DEFAULT_PARTITIONER: PartitionerSpec = { kind: 'default' };

/**
 * A stream of records of type T. Most streams come from one operator; a `union` comes from
 * several and has no operator of its own, so naming or configuring it is an error.
 */
export class DataStream<T> {
  readonly heads: readonly StreamHead[];

  constructor(
    readonly env: StreamExecutionEnvironment,
    headOrHeads: Transformation | readonly StreamHead[],
    partitioner: PartitionerSpec = DEFAULT_PARTITIONER,
  ) {
    this.heads = Array.isArray(headOrHeads)
      ? (headOrHeads as readonly StreamHead[])
      : [{ transformation: headOrHeads as Transformation, partitioner }];
  }

  /** The operator that produces this stream. */
  get transformation(): Transformation {
    const [first, ...rest] = this.heads;
    if (!first || rest.length > 0)
      throw new InvalidJobError('a union of streams has no operator of its own to configure');
    if (first.outputTag !== undefined)
      throw new InvalidJobError(
        `side output '${first.outputTag}' has no operator of its own to configure; configure '${first.transformation.name}'`,
      );
    return first.transformation;
  }

  /**
   * The records this stream's operator emitted with `ctx.output(tag, value)` (or, after a
   * window's `sideOutputLateData(tag)`, its late records), as a stream of their own.
   */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    const id = outputTagId(tag, 'getSideOutput()');
    const transformation = this.transformation;
    return new DataStream<X>(this.env, [{ transformation, partitioner: DEFAULT_PARTITIONER, outputTag: id }]);
  }

  // --- operator settings (apply to the operator that produces this stream) ---

  name(name: string): this {
    if (!name) throw new InvalidJobError('name() needs a non-empty string');
    this.transformation.name = name;
    return this;
  }

  /** Stable operator id; required for state that must survive changes to the job. */
  uid(uid: string): this {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(uid)) {
      throw new InvalidJobError(`uid '${uid}' must be 1-128 characters of letters, digits, '.', '_' or '-'`);
    }
    this.transformation.uid = uid;
    return this;
  }

  setParallelism(parallelism: number): this {
    this.transformation.parallelism = checkParallelism(parallelism, `operator '${this.transformation.name}'`);
    return this;
  }

  setMaxParallelism(maxParallelism: number): this {
    this.transformation.maxParallelism = checkMaxParallelism(
      maxParallelism,
      `operator '${this.transformation.name}'`,
    );
    return this;
  }

  /** Puts the operator in a named slot sharing group, optionally with a slot resource profile. */
  slotSharingGroup(name: string, resources?: ResourceProfile): this {
    if (!name) throw new InvalidJobError('slotSharingGroup() needs a non-empty name');
    this.transformation.slotSharingGroup = { name, resources };
    return this;
  }

  disableChaining(): this {
    this.transformation.chaining = 'never';
    return this;
  }

  startNewChain(): this {
    this.transformation.chaining = 'head';
    return this;
  }

  // --- partitioning of the next edge ---

  forward(): DataStream<T> {
    return this.partitioned({ kind: 'forward' });
  }

  rebalance(): DataStream<T> {
    return this.partitioned({ kind: 'rebalance' });
  }

  /**
   * Without arguments, every record to every consumer subtask (the broadcast partitioner); with
   * MapStateDescriptors, a BroadcastStream for the broadcast state pattern (`connect` a data stream to it).
   */
  broadcast(): DataStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): BroadcastStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): DataStream<T> | BroadcastStream<T> {
    const all = this.partitioned({ kind: 'broadcast' });
    return descriptors.length === 0 ? all : new BroadcastStream(all, descriptors);
  }

  /** Round robin over a local subset of the consumers (a pointwise edge, Flink's `rescale`). */
  rescale(): DataStream<T> {
    return this.partitioned({ kind: 'rescale' });
  }

  /** Each record to a consumer subtask chosen uniformly at random. */
  shuffle(): DataStream<T> {
    return this.partitioned({ kind: 'shuffle' });
  }

  /** Every record to the consumer's subtask 0. */
  global(): DataStream<T> {
    return this.partitioned({ kind: 'global' });
  }

  /** Each record to subtask `partitioner(keySelector(record), numPartitions)` (Flink's `partitionCustom`). */
  partitionCustom<K>(partitioner: Partitioner<K>, keySelector: KeySelector<T, K>): DataStream<T> {
    return this.partitioned(customPartitionerSpec(partitioner, keySelector));
  }

  keyBy<K>(keySelector: KeySelector<T, K>): KeyedStream<T, K> {
    return new KeyedStream<T, K>(this.env, this.heads, keySelector);
  }

  // --- operators ---

  // Functions may be objects with a lifecycle (RichMapFunction etc.: `open(ctx)` / `close()`).
  map<R>(fn: MapFunction<T, R> | RichMapFunction<T, R>): DataStream<R> {
    const key = this.stateKeyFor(checkUserFunction(fn, 'map'));
    return this.oneInput<R>('map', 'Map', () => new MapOperator(fn, key), key !== undefined);
  }

  flatMap<R>(fn: FlatMapFunction<T, R> | RichFlatMapFunction<T, R>): DataStream<R> {
    const key = this.stateKeyFor(checkUserFunction(fn, 'flatMap'));
    return this.oneInput<R>('flatMap', 'Flat Map', () => new FlatMapOperator(fn, key), key !== undefined);
  }

  /** With a type guard (`(v): v is S => ...`) the filtered stream has the narrower type S. */
  filter<S extends T>(fn: TypeGuardFilter<T, S>): DataStream<S>;
  filter(fn: FilterFunction<T> | RichFilterFunction<T>): DataStream<T>;
  filter(fn: FilterFunction<T> | RichFilterFunction<T>): DataStream<T> {
    const key = this.stateKeyFor(checkUserFunction(fn, 'filter'));
    return this.oneInput<T>('filter', 'Filter', () => new FilterOperator(fn, key), key !== undefined);
  }

  /**
   * Async I/O (Flink's `AsyncDataStream.orderedWait` / `unorderedWait`): `fn` returns a
   * promise per record, up to `capacity` at a time per subtask; results in input order (or as
   * they complete with `ordered: false`). Records in flight are checkpointed and called again
   * after a restore. See docs/async-io.md.
   */
  mapAsync<R>(fn: AsyncFunction<T, R>, options: MapAsyncOptions<T, R>): DataStream<R> {
    checkMapAsyncOptions(fn, options as MapAsyncOptions<unknown, unknown>);
    return this.oneInput<R>('mapAsync', 'Async Map', () => new AsyncWaitOperator<T, R>(fn, options));
  }

  /** One call per record with a context (timestamp, side outputs); no keyed state or timers (Flink's ProcessFunction). */
  process<R>(fn: ProcessFunction<T, R>): DataStream<R> {
    return this.oneInput<R>('process', 'Process', () => new ProcessOperator<T, R>(fn));
  }

  /**
   * Gives records timestamps and makes the stream carry watermarks by `strategy` (Flink's
   * `assignTimestampsAndWatermarks`); watermarks from upstream are replaced.
   */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): DataStream<T> {
    // By shape, not instanceof: in a TaskManager the job's bundle has its own copy of the API classes.
    if (typeof (strategy as Partial<WatermarkStrategy<T>> | undefined)?.createGenerator !== 'function')
      throw new InvalidJobError('assignTimestampsAndWatermarks() needs a WatermarkStrategy');
    return this.oneInput<T>(
      'timestamps',
      'Timestamps/Watermarks',
      () => new TimestampsAndWatermarksOperator<T>(strategy),
    );
  }

  /** Windows over the whole stream, in one subtask (Flink's `windowAll`). */
  windowAll(assigner: WindowAssigner): WindowedStream<T, number> {
    return new WindowedStream<T, number>(
      this.keyBy(() => 0),
      assigner,
      true,
    );
  }

  union(...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) {
      if (o.env !== this.env) throw new InvalidJobError('union: streams come from different environments');
    }
    return new DataStream<T>(this.env, [...this.heads, ...others.flatMap((o) => o.heads)]);
  }

  /** Two-input operators; with a BroadcastStream, the broadcast state pattern. */
  connect<U>(other: BroadcastStream<U>): BroadcastConnectedStream<T, U>;
  connect<U>(other: DataStream<U>): ConnectedStreams<T, U>;
  connect<U>(
    other: DataStream<U> | BroadcastStream<U>,
  ): ConnectedStreams<T, U> | BroadcastConnectedStream<T, U> {
    if (other instanceof BroadcastStream) return new BroadcastConnectedStream<T, U>(this, other);
    if (other.env !== this.env)
      throw new InvalidJobError('connect: streams come from different environments');
    return new ConnectedStreams<T, U>(this, other);
  }

  /** Window join (Flink's `join`): `.where(k1).equalTo(k2).window(assigner).apply(fn)`. */
  join<U>(other: DataStream<U>): JoinedStreams<T, U> {
    return new JoinedStreams<T, U>(this, other);
  }

  /** Window co-group (Flink's `coGroup`): `.where(k1).equalTo(k2).window(assigner).apply(fn)`. */
  coGroup<U>(other: DataStream<U>): CoGroupedStreams<T, U> {
    return new CoGroupedStreams<T, U>(this, other);
  }

  sinkTo(sink: Sink<T>, name = 'Sink'): DataStream<never> {
    return this.oneInput<never>('sink', name, () => new SinkOperator(sink));
  }

  /** Prints each record as a line on the client that runs the job. */
  print(name = 'Print'): DataStream<never> {
    return this.sinkTo(printSink<T>(), name);
  }

  /** Sends each record back to the client that runs the job. */
  collect(name = 'Collect'): DataStream<never> {
    return this.sinkTo(collectSink<T>(), name);
  }

  /** Writes records as text lines into part files in a local directory or `s3://` folder (see `fileSink`). */
  writeAsText(dir: string, name = `File: ${dir}`): DataStream<never> {
    return this.sinkTo(fileSink<T>(dir), name);
  }

  /** @internal The key a rich function's keyed state is scoped by: only on keyed streams. */
  protected stateKeyFor(_fn: unknown): KeySelector<unknown, unknown> | undefined {
    return undefined;
  }

  protected partitioned(partitioner: PartitionerSpec): DataStream<T> {
    return new DataStream<T>(
      this.env,
      this.heads.map((h) => ({ ...h, partitioner })),
    );
  }

  /** @internal Adds a one-input operator fed by every head of this stream. */
  protected oneInput<R>(
    kind: OperatorKind,
    name: string,
    create: () => StreamOperator,
    keyed = false,
  ): DataStream<R> {
    const t = this.env.addTransformation(kind, name, this.inputsFor(0), 1, create, keyed);
    return new DataStream<R>(this.env, t);
  }

  /** @internal The input edges this stream contributes as logical input `input`. */
  inputsFor(input: 0 | 1): TransformationInput[] {
    return this.heads.map((h) => ({
      from: h.transformation,
      input,
      partitioner: h.partitioner,
      ...(h.outputTag !== undefined ? { outputTag: h.outputTag } : {}),
    }));
  }
}

// KeyedStream lives here because it extends DataStream and DataStream.keyBy creates it.
/**
 * A stream partitioned by key: records with the same key go to the same subtask (by key
 * group), and operators on it get keyed state. Stateless operators on it (map, filter…) just
 * see hash-partitioned input.
 */
export class KeyedStream<T, K> extends DataStream<T> {
  readonly keySelector: KeySelector<T, K>;

  constructor(env: StreamExecutionEnvironment, heads: readonly StreamHead[], keySelector: KeySelector<T, K>) {
    if (typeof keySelector !== 'function') throw new InvalidJobError('keyBy() needs a key selector function');
    const partitioner = { kind: 'hash' as const, keySelector: keySelector as KeySelector<unknown, unknown> };
    super(
      env,
      heads.map((h) => ({ ...h, partitioner })),
    );
    this.keySelector = keySelector;
  }

  /** Rolling reduce: emits the updated aggregate of the record's key after every record. */
  reduce(fn: ReduceFunction<T>): DataStream<T> {
    const selector = this.keySelector as KeySelector<unknown, unknown>;
    return this.oneInput<T>('reduce', 'Keyed Reduce', () => new ReduceOperator<T>(selector, fn), true);
  }

  /**
   * Rolling sum. Without an argument records are numbers; with a number, records are tuples
   * (arrays) and that position is summed; with a string, records are objects and that field is
   * summed. Other fields keep the values of the key's first record.
   */
  sum(field?: number | string): DataStream<T> {
    return this.reduce(sumReducer<T>(field)).name(field === undefined ? 'Sum' : `Sum(${String(field)})`);
  }

  /** Rolling minimum of a field (tuple position, field name; none: records are values); other fields stay the key's first record's. */
  min(field?: number | string): DataStream<T> {
    return this.reduce(extremumReducer<T>('min', field)).name(aggregationName('Min', field));
  }

  /** Rolling maximum of a field, as `min`. */
  max(field?: number | string): DataStream<T> {
    return this.reduce(extremumReducer<T>('max', field)).name(aggregationName('Max', field));
  }

  /** Rolling record with the smallest field or selector value; on a tie the earlier record if `first`, else the later. */
  minBy(by?: number | string | ((value: T) => Comparable), first = true): DataStream<T> {
    return this.reduce(extremumByReducer<T>('min', by, first)).name(aggregationName('MinBy', by));
  }

  /** Rolling record with the largest field or selector value, as `minBy`. */
  maxBy(by?: number | string | ((value: T) => Comparable), first = true): DataStream<T> {
    return this.reduce(extremumByReducer<T>('max', by, first)).name(aggregationName('MaxBy', by));
  }

  protected override stateKeyFor(fn: unknown): KeySelector<unknown, unknown> | undefined {
    return hasOpen(fn) ? (this.keySelector as KeySelector<unknown, unknown>) : undefined;
  }

  /** Cuts the stream into windows per key (Flink's `window`), e.g. `TumblingEventTimeWindows.of(60_000)`. */
  window(assigner: WindowAssigner): WindowedStream<T, K> {
    return new WindowedStream<T, K>(this, assigner);
  }

  /** @internal Adds a window operator on this keyed stream. */
  windowOperator<R>(name: string, create: () => StreamOperator): DataStream<R> {
    return this.oneInput<R>('window', name, create, true);
  }

  /** Interval join with another keyed stream (Flink's `intervalJoin`): `.between(lowerMs, upperMs).process(fn)`. */
  intervalJoin<U>(other: KeyedStream<U, K>): IntervalJoin<T, U, K> {
    return new IntervalJoin<T, U, K>(this, other);
  }

  /** Per record with keyed state and timers of the record's key (Flink's KeyedProcessFunction). */
  override process<R>(fn: KeyedProcessFunction<T, R>): DataStream<R> {
    const selector = this.keySelector as KeySelector<unknown, unknown>;
    return this.oneInput<R>(
      'process',
      'KeyedProcess',
      () => new KeyedProcessOperator<T, R>(selector, fn),
      true,
    );
  }
}
