import type { ResourceProfile } from '../deployment/resource-profile';
import { DataStream } from './data-stream';
import type { StreamExecutionEnvironment } from './environment';
import type { Transformation } from './transformation';

/**
 * The stream of `fromSource(source, name, watermarkStrategy)`: the source and the timestamps
 * operator chained behind it, which to its user are one operator, as in Flink (whose
 * DataStreamSource makes the watermarks inside the source). So the operator settings reach the
 * source too: its uid (its read positions are state a savepoint matches by uid), name,
 * parallelism, max parallelism and slot sharing group.
 */
export class SourceStream<T> extends DataStream<T> {
  constructor(
    env: StreamExecutionEnvironment,
    private readonly source: Transformation,
    stamped: Transformation,
  ) {
    super(env, stamped);
  }

  /** Names the source; the operator behind it keeps the name Timestamps/Watermarks. */
  override name(name: string): this {
    super.name(name);
    this.transformation.name = 'Timestamps/Watermarks';
    this.source.name = name;
    return this;
  }

  /** The source gets `uid`; the timestamps operator (no state of its own) `<uid>.watermarks`. */
  override uid(uid: string): this {
    super.uid(uid);
    this.source.uid = uid;
    this.transformation.uid = `${uid}.watermarks`;
    return this;
  }

  override setParallelism(parallelism: number): this {
    super.setParallelism(parallelism);
    this.source.parallelism = this.transformation.parallelism;
    return this;
  }

  override setMaxParallelism(maxParallelism: number): this {
    super.setMaxParallelism(maxParallelism);
    this.source.maxParallelism = this.transformation.maxParallelism;
    return this;
  }

  override slotSharingGroup(name: string, resources?: ResourceProfile): this {
    super.slotSharingGroup(name, resources);
    this.source.slotSharingGroup = this.transformation.slotSharingGroup;
    return this;
  }

  /** Nothing chains to the source's watermarks; they stay chained to the source (part of it to the user). */
  override disableChaining(): this {
    this.transformation.chaining = 'tail';
    return this;
  }

  /** A source always begins a chain; the timestamps operator stays chained to it. */
  override startNewChain(): this {
    return this;
  }
}
