import type { WatermarkStrategy } from './event-time/watermark-strategy';
import { InvalidJobError } from '../errors';
import { collectionSource, generatorSource, sequenceSource } from './connectors/collection-sources';
import { fileLinesSource } from './connectors/file-lines-source';
import { DataStream } from './data-stream';
import { SourceStream } from './source-stream';
import type { JobSettings } from './job-settings';
import { DEFAULT_JOB_SETTINGS, checkMaxParallelism, checkParallelism } from './job-settings';
import type { StreamOperator } from './operators/stream-operator';
import { SourceOperator } from './operators/source-sink-operators';
import type { Source } from './source';
import type { OperatorKind, TransformationInput } from './transformation';
import { Transformation } from './transformation';

/**
 * Where a job's dataflow is declared (Flink's StreamExecutionEnvironment). It only records
 * transformations; graph translation and execution happen elsewhere.
 */
export class StreamExecutionEnvironment {
  readonly transformations: Transformation[] = [];
  private readonly settings: JobSettings;

  constructor(settings: Partial<JobSettings> = {}) {
    this.settings = { ...DEFAULT_JOB_SETTINGS, ...settings };
  }

  getSettings(): Readonly<JobSettings> {
    return { ...this.settings };
  }

  setParallelism(parallelism: number): this {
    this.settings.parallelism = checkParallelism(parallelism, 'setParallelism');
    return this;
  }

  setMaxParallelism(maxParallelism: number): this {
    this.settings.maxParallelism = checkMaxParallelism(maxParallelism, 'setMaxParallelism');
    return this;
  }

  disableOperatorChaining(): this {
    this.settings.chaining = false;
    return this;
  }

  /** Turns the two-input-in-chain extension on or off for this job. */
  setTwoInputChaining(enabled: boolean): this {
    this.settings.twoInputChaining = enabled;
    return this;
  }

  setBufferTimeout(ms: number): this {
    if (!Number.isFinite(ms) || ms < 0)
      throw new InvalidJobError(`setBufferTimeout: ${ms} is not a duration >= 0 ms`);
    this.settings.bufferTimeoutMs = ms;
    return this;
  }

  /** Moves this job's records between TaskManagers over TCP (default) or SQS queues. */
  setExchange(exchange: 'tcp' | 'sqs'): this {
    if (exchange !== 'tcp' && exchange !== 'sqs')
      throw new InvalidJobError(`setExchange: '${String(exchange)}' is not tcp or sqs`);
    this.settings.exchange = exchange;
    return this;
  }

  /** Keeps this job's keyed state on the heap or in the embedded kv store (`state.backend`). */
  setStateBackend(backend: 'heap' | 'kv'): this {
    if (backend !== 'heap' && backend !== 'kv')
      throw new InvalidJobError(`setStateBackend: '${String(backend)}' is not heap or kv`);
    this.settings.stateBackend = backend;
    return this;
  }

  /**
   * Checkpoints this job every `intervalMs` (Flink's `enableCheckpointing`): state and source
   * positions are snapshotted consistently and a restart resumes from the latest checkpoint.
   * `mode` defaults to the cluster's `execution.checkpointing.mode` (exactly-once).
   */
  enableCheckpointing(intervalMs: number, mode?: 'exactly-once' | 'at-least-once'): this {
    if (!Number.isInteger(intervalMs) || intervalMs < 1)
      throw new InvalidJobError(`enableCheckpointing: ${intervalMs} is not an interval >= 1 ms`);
    if (mode !== undefined && mode !== 'exactly-once' && mode !== 'at-least-once')
      throw new InvalidJobError(
        `enableCheckpointing: '${String(mode)}' is not exactly-once or at-least-once`,
      );
    this.settings.checkpointIntervalMs = intervalMs;
    if (mode !== undefined) this.settings.checkpointingMode = mode;
    return this;
  }

  /** How often watermark generators emit a watermark (Flink's `setAutoWatermarkInterval`; default 200 ms). */
  setAutoWatermarkInterval(intervalMs: number): this {
    if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > 3_600_000)
      throw new InvalidJobError(
        `setAutoWatermarkInterval: ${intervalMs} is not an interval in 1..3600000 ms`,
      );
    this.settings.autoWatermarkIntervalMs = intervalMs;
    return this;
  }

  /**
   * A stream read from `source`. With a watermark strategy its records get timestamps and the
   * stream carries watermarks from the start (Flink's `fromSource(source, strategy, name)`);
   * `uid`, `setParallelism` and the other operator settings on it apply to the source.
   */
  fromSource<T>(source: Source<T>, name: string, watermarkStrategy?: WatermarkStrategy<T>): DataStream<T> {
    const t = this.addTransformation('source', name, [], 0, () => new SourceOperator(source), false);
    const stream = new DataStream<T>(this, t);
    if (!watermarkStrategy) return stream;
    // Settings on the returned stream reach the source too (see source-stream.ts).
    return new SourceStream<T>(
      this,
      t,
      stream.assignTimestampsAndWatermarks(watermarkStrategy).transformation,
    );
  }

  /** The numbers from..to inclusive, split into contiguous ranges across subtasks. */
  fromSequence(from: number, to: number): DataStream<number> {
    return this.fromSource(sequenceSource(from, to), 'sequence');
  }

  /** `count` records made by `make(n)`, n = 0..count-1, split into ranges across subtasks. */
  fromGenerator<T>(count: number, make: (n: number) => T, name = 'generator'): DataStream<T> {
    return this.fromSource(generatorSource(count, make), name);
  }

  /** The given items, split round-robin across subtasks. */
  fromCollection<T>(items: readonly T[]): DataStream<T> {
    return this.fromSource(collectionSource(items), 'collection');
  }

  /** Lines of a local text file or an `s3://` object, split into byte ranges across subtasks. */
  readTextFile(path: string): DataStream<string> {
    return this.fromSource(fileLinesSource(path), `file:${path}`);
  }

  /** @internal used by the stream classes to record a new node. */
  addTransformation(
    kind: OperatorKind,
    name: string,
    inputs: TransformationInput[],
    inputCount: 0 | 1 | 2,
    createOperator: () => StreamOperator,
    keyed: boolean,
  ): Transformation {
    const t = new Transformation(
      this.transformations.length,
      kind,
      name,
      inputs,
      inputCount,
      createOperator,
      keyed,
    );
    this.transformations.push(t);
    return t;
  }
}
