import type { TaskCheckpointing } from '../../checkpoint/checkpointing-mode';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import type { OperatorStateBackend } from '../../state/operator-state-backend';
import type { Collector, RuntimeInfo } from '../functions';
import type { ConnectorContext } from '../connector-context';
import type { SinkWriterContext } from '../sink';

/** Processing time of the task: wall-clock ms, and callbacks run on the task's thread between records. */
export interface ProcessingTimeService {
  now(): number;
  /** Calls `callback(time)` at `time` (ms since the epoch) or soon after; returns a cancel function. */
  schedule(time: number, callback: (time: number) => void): () => void;
}

/**
 * The timestamp of the record being processed (Flink's StreamRecord timestamp), shared by the
 * operators of a chain: records emitted inherit it unless the operator sets another.
 * `undefined` is a record without a timestamp.
 */
export interface RecordTimestamp {
  value: number | undefined;
}

/** Where an operator sends watermarks and its idle status: chained operators and the network. */
export interface WatermarkEmitter {
  emitWatermark(timestamp: number): void;
  emitStatus(idle: boolean): void;
}

/**
 * An operator that drops records arriving after event time passed them, when no side output
 * takes them (windows, interval joins): the task reports the count (README: event time and windows).
 */
export interface DropsLateRecords {
  readonly lateRecordsDropped: number;
}

export function dropsLateRecords(operator: object): operator is DropsLateRecords {
  return typeof (operator as Partial<DropsLateRecords>).lateRecordsDropped === 'number';
}

/**
 * Where an operator sends records of a side output, by OutputTag id (Flink's
 * `Output.collect(tag, record)`). Records of a tag that no stream reads are dropped.
 */
export interface SideOutput {
  emit(tagId: string, record: unknown): void;
}

/**
 * The task's mailbox as an operator sees it (Flink's MailboxExecutor): the way back onto the
 * task thread for work that completes outside a call into the operator, such as a promise
 * settling. An operator that pauses the input must post the work that will resume it.
 */
export interface OperatorMailbox {
  /**
   * Runs `action` on the task thread in a turn of its own, between turns of input (never
   * inside `processElement` or a snapshot), in posting order. Before the task runs, actions
   * wait; once it stopped (failed, canceled, finished) they are dropped. An action that throws
   * fails the task, attributed to the operator.
   */
  execute(action: () => void): void;
  /**
   * While paused, the task takes no input at all (network buffers with their barriers, source
   * polls), as under network back pressure. Flink's AsyncWaitOperator yields to its mailbox
   * until a slot frees; here the operator says when it cannot take more. Idempotent.
   */
  pauseInput(paused: boolean): void;
}

/**
 * What an operator sees of the task it runs in. Keyed state is present only for operators
 * whose input is keyed.
 */
export interface OperatorContext extends RuntimeInfo {
  readonly operatorId: string;
  readonly taskManagerId: string;
  readonly keyedState?: KeyedStateBackend;
  readonly sinkContext: Pick<SinkWriterContext, 'emitOutput' | 'emitResult' | 'attemptNumber'>;
  /** The job id and `s3://` access that sources and sinks get. */
  readonly connector: ConnectorContext;
  /** Present when the job checkpoints. */
  readonly checkpointing?: TaskCheckpointing;
  readonly processingTime: ProcessingTimeService;
  readonly recordTimestamp: RecordTimestamp;
  /** How often watermark generators are asked for a watermark (`pipeline.auto-watermark-interval`). */
  readonly autoWatermarkIntervalMs: number;
  readonly mailbox: OperatorMailbox;
}

/**
 * What `initializeState` gets (Flink's StateInitializationContext): the operator's state
 * backends, already restored when the task starts from a checkpoint.
 */
export interface StateInitializationContext {
  /** Present only for operators whose input is keyed. */
  readonly keyedStateBackend: KeyedStateBackend | undefined;
  readonly operatorStateBackend: OperatorStateBackend;
  /** True when the backends were restored from a snapshot. */
  readonly isRestored: boolean;
  /**
   * The operator's parallelism in the restored snapshot; undefined when the snapshot held no
   * state of this operator (or nothing was restored). Lets an operator tell a rescale apart.
   */
  readonly restoredParallelism?: number;
}

/**
 * A running operator. Calls come from one thread in this order: `initializeState`, `open`, then
 * any number of `processElement` (with the input index: 0, or 1 for the second input of a
 * two-input operator), `endInput` once per input when bounded, `finish` after all inputs
 * ended, `close` — or `dispose` when the task is canceled or fails. An operator that still
 * holds work when its input ends (async calls in flight) returns a promise from `finish`: its
 * successors finish only once it settled.
 * Records are emitted through `output` (and `sideOutput`), which the task wires to chained
 * operators or the network.
 * Watermarks arrive through `processWatermark` once the operator's event time (the minimum over
 * its inputs) advanced; the default forwards them, operators with event-time timers fire those
 * first.
 * `snapshotState(checkpointId)` runs between records when a checkpoint is taken, before the
 * task snapshots the operator's state backends: the place to move what the operator holds
 * outside them (a source's position, a sink's staged files) into operator state.
 */
export abstract class StreamOperator<OUT = unknown> {
  output!: Collector<OUT>;
  sideOutput!: SideOutput;
  watermarks!: WatermarkEmitter;

  initializeState(_context: StateInitializationContext): void | Promise<void> {}
  snapshotState(_checkpointId: number): void {}
  /** Checkpoint `checkpointId` completed everywhere: the moment to commit side effects (2PC). */
  notifyCheckpointComplete(_checkpointId: number): void | Promise<void> {}
  /** Checkpoint `checkpointId` was aborted: what was staged for it stays pending for a later one. */
  notifyCheckpointAborted(_checkpointId: number): void {}
  open(_context: OperatorContext): void | Promise<void> {}
  abstract processElement(record: unknown, input: number): void;
  processWatermark(timestamp: number): void {
    this.watermarks.emitWatermark(timestamp);
  }
  processWatermarkStatus(idle: boolean): void {
    this.watermarks.emitStatus(idle);
  }
  endInput(_input: number): void {}
  finish(): void | Promise<void> {}
  close(): void | Promise<void> {}
  /**
   * The task stops early (cancel or failure), instead of `finish` + `close`: release what `open`
   * acquired (user functions' `close`) without flushing output. May run after a failed `open`.
   */
  dispose(): void | Promise<void> {}
}

/** Flags that tell the task how to drive an operator. */
export interface OperatorTraits {
  /** Number of logical inputs: 0 for a source, 1, or 2 for connected streams. */
  readonly inputs: 0 | 1 | 2;
}
