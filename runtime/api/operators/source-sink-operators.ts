import { StateError } from '../../errors';
import type { ListState } from '../../state/state-types';
import type { InputStatus, Source, SourceReader } from '../source';
import type { Sink, SinkWriter } from '../sink';
import type { OperatorContext, StateInitializationContext } from './stream-operator';
import { StreamOperator } from './stream-operator';

/** Operator list state holding a source reader's position (one element per subtask). */
export const SOURCE_READER_STATE = 'source-reader-state';
/** Operator list state holding a sink's committables not yet committed: [checkpointId, committables]. */
export const SINK_COMMITTABLES_STATE = 'sink-committables';

/** Wraps a source reader; the task polls it through `poll`. Its position is kept in operator state. */
export class SourceOperator<T> extends StreamOperator<T> {
  reader!: SourceReader<T>;
  private position!: ListState<unknown>;
  private restored: { position: unknown } | undefined;
  private timestamp: OperatorContext['recordTimestamp'] | undefined;

  constructor(private readonly source: Source<T>) {
    super();
  }

  override initializeState(context: StateInitializationContext): void {
    this.position = context.operatorStateBackend.getListState<unknown>(SOURCE_READER_STATE);
    if (!context.isRestored) return;
    const positions = this.position.get();
    if (positions.length > 1)
      throw new StateError(
        `the source got the positions of ${positions.length} old subtasks; a source restores one position per subtask (was the parallelism changed?)`,
      );
    if (positions.length === 1) this.restored = { position: positions[0] };
  }

  override async open(context: OperatorContext): Promise<void> {
    this.timestamp = context.recordTimestamp;
    this.reader = this.source.createReader({
      subtaskIndex: context.subtaskIndex,
      parallelism: context.parallelism,
      taskManagerId: context.taskManagerId,
      ...context.connector,
    });
    if (this.restored) {
      if (!this.reader.restoreState)
        throw new StateError(
          'the job restores a checkpoint, but the source reader has no restoreState to resume from its position',
        );
      this.reader.restoreState(this.restored.position);
    }
    await this.reader.start?.();
  }

  poll(): InputStatus {
    // What a source reads has no timestamp until a watermark strategy gives it one.
    if (this.timestamp) this.timestamp.value = undefined;
    return this.reader.pollNext(this.output);
  }

  processElement(): void {
    throw new Error('a source operator has no inputs');
  }

  override snapshotState(checkpointId: number): void {
    const position = this.reader.snapshotState(checkpointId);
    this.position.update(position === undefined ? [] : [position]);
  }

  override async close(): Promise<void> {
    await this.reader?.close?.();
  }
}

type PendingCommit = [checkpointId: number, committables: unknown[]];

/**
 * Wraps a sink writer. With checkpointing on and a two-phase-commit writer, each checkpoint
 * stages what was written before its barrier (`prepareCommit`), keeps the committables in
 * operator state (so they are part of the checkpoint) and commits them once the checkpoint
 * completed everywhere. After a restore, what the checkpoint held is committed again at open
 * (the writer's commit is idempotent): the checkpoint completed, its commit may not have run.
 */
export class SinkOperator<T> extends StreamOperator<never> {
  private writer!: SinkWriter<T>;
  private pending!: ListState<PendingCommit>;
  private twoPhase = false;

  constructor(private readonly sink: Sink<T>) {
    super();
  }

  override initializeState(context: StateInitializationContext): void {
    this.pending = context.operatorStateBackend.getListState<PendingCommit>(SINK_COMMITTABLES_STATE);
  }

  override async open(context: OperatorContext): Promise<void> {
    this.writer = this.sink.createWriter({
      subtaskIndex: context.subtaskIndex,
      parallelism: context.parallelism,
      taskManagerId: context.taskManagerId,
      checkpointing: context.checkpointing !== undefined,
      ...context.sinkContext,
      ...context.connector,
    });
    this.twoPhase = context.checkpointing !== undefined && this.writer.prepareCommit !== undefined;
    const restored = this.pending.get();
    if (restored.length > 0) await this.commitUpTo(Number.POSITIVE_INFINITY);
  }

  processElement(record: unknown): void {
    this.writer.write(record as T);
  }

  override snapshotState(checkpointId: number): void {
    if (!this.twoPhase) return;
    const committables = this.writer.prepareCommit!(checkpointId);
    if (committables.length > 0) this.pending.add([checkpointId, committables]);
  }

  override async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    await this.commitUpTo(checkpointId);
  }

  override finish(): void {
    this.writer.finish?.();
  }

  override close(): void | Promise<void> {
    return this.writer?.close?.();
  }

  /** Commits the committables of checkpoints up to `checkpointId`, then forgets them. */
  private async commitUpTo(checkpointId: number): Promise<void> {
    const due = this.pending.get().filter(([id]) => id <= checkpointId);
    if (due.length === 0) return;
    if (!this.writer.commit)
      throw new StateError('the sink writer staged committables but has no commit to make them visible');
    await this.writer.commit(due.flatMap(([, committables]) => committables));
    // Only now: a snapshot taken meanwhile keeps them, and committing again is harmless.
    this.pending.update(this.pending.get().filter(([id]) => id > checkpointId));
  }
}
