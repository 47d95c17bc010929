/** Sink interface: one writer per subtask, created in the task thread. */
export interface Sink<T> {
  createWriter(context: SinkWriterContext): SinkWriter<T>;
}

export interface SinkWriterContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** The TaskManager running this writer ('embedded' in the mini cluster), for error messages. */
  readonly taskManagerId: string;
  /** Sends a line of text to the client that runs the job (what `print` uses). */
  emitOutput(line: string): void;
  /** Sends a value to the client that runs the job (what `collect` uses). */
  emitResult(value: unknown): void;
}

export interface SinkWriter<T> {
  write(record: T): void;
  /** Called once after the last record of a bounded input. */
  finish?(): void;
  close?(): void;
}
