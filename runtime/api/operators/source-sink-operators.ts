import type { InputStatus, Source, SourceReader } from '../source';
import type { Sink, SinkWriter } from '../sink';
import type { OperatorContext } from './stream-operator';
import { StreamOperator } from './stream-operator';

/** Wraps a source reader; the task polls it through `poll`. */
export class SourceOperator<T> extends StreamOperator<T> {
  reader!: SourceReader<T>;

  constructor(private readonly source: Source<T>) {
    super();
  }

  override async open(context: OperatorContext): Promise<void> {
    this.reader = this.source.createReader({
      subtaskIndex: context.subtaskIndex,
      parallelism: context.parallelism,
      taskManagerId: context.taskManagerId,
      ...context.connector,
    });
    await this.reader.start?.();
  }

  poll(): InputStatus {
    return this.reader.pollNext(this.output);
  }

  processElement(): void {
    throw new Error('a source operator has no inputs');
  }

  override async close(): Promise<void> {
    await this.reader?.close?.();
  }
}

export class SinkOperator<T> extends StreamOperator<never> {
  private writer!: SinkWriter<T>;

  constructor(private readonly sink: Sink<T>) {
    super();
  }

  override open(context: OperatorContext): void {
    this.writer = this.sink.createWriter({
      subtaskIndex: context.subtaskIndex,
      parallelism: context.parallelism,
      taskManagerId: context.taskManagerId,
      checkpointing: context.checkpointing !== undefined,
      ...context.sinkContext,
      ...context.connector,
    });
  }

  processElement(record: unknown): void {
    this.writer.write(record as T);
  }

  override finish(): void {
    this.writer.finish?.();
  }

  override close(): void | Promise<void> {
    return this.writer?.close?.();
  }
}
