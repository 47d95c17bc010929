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
  /** This subtask's elements of the restored source state: splits (any number) or one position. */
  private restored: unknown[] | undefined;
  private restoredParallelism: number | undefined;
  private timestamp: OperatorContext['recordTimestamp'] | undefined;

  constructor(private readonly source: Source<T>) {
    super();
  }

  override initializeState(context: StateInitializationContext): void {
    this.position = context.operatorStateBackend.getListState<unknown>(SOURCE_READER_STATE);
    if (!context.isRestored || context.restoredParallelism === undefined) return;
    this.restoredParallelism = context.restoredParallelism;
    this.restored = this.position.get();
  }

  override async open(context: OperatorContext): Promise<void> {
    this.timestamp = context.recordTimestamp;
    this.reader = this.source.createReader({
      subtaskIndex: context.subtaskIndex,
      parallelism: context.parallelism,
      taskManagerId: context.taskManagerId,
      ...context.connector,
    });
    if (this.restored) this.restoreReader(this.restored, context);
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
    if (this.reader.snapshotSplits) return this.position.update(this.reader.snapshotSplits(checkpointId));
    const position = this.reader.snapshotState?.(checkpointId);
    this.position.update(position === undefined ? [] : [position]);
  }

  /** Hands the reader what this subtask restored: its share of the splits, or its one position. */
  private restoreReader(restored: unknown[], context: OperatorContext): void {
    if (this.reader.restoreSplits) return this.reader.restoreSplits(restored);
    if (this.restoredParallelism !== context.parallelism)
      throw new StateError(
        `the source was checkpointed at parallelism ${this.restoredParallelism} and now runs at ${context.parallelism}, ` +
          'but its reader keeps one position per subtask: restore it at its old parallelism ' +
          '(setParallelism on the source), or give the reader snapshotSplits/restoreSplits',
      );
    if (restored.length === 0) return;
    if (!this.reader.restoreState)
      throw new StateError(
        'the job restores a checkpoint, but the source reader has no restoreState to resume from its position',
      );
    this.reader.restoreState(restored[0]);
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
