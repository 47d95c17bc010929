import type { MessagePort } from 'node:worker_threads';
import type { TaskRestoreState } from '../checkpoint/state-handles';
import type { JobVertex } from '../graph/job-graph';
import type { StreamGraph } from '../graph/stream-graph';
import type { ChannelEvent, DownstreamMessage } from '../network/channel-protocol';
import type { OutputChannel } from '../network/output-channel';
import { decodeTimestampedBatch } from '../network/record-batch-codec';
import { DEFAULT_AUTO_WATERMARK_INTERVAL_MS } from '../api/job-settings';
import type { RecordTimestamp } from '../api/operators/stream-operator';
import { TaskTimeAccounting } from './task-time';
import { TaskProcessingTimeService } from './task-processing-time';
import { TaskMailbox } from './task-mailbox';
import type { RecordWriter } from '../network/record-writer';
import type { TaskStateSettings } from '../state/state-backend-factory';
import { StateError } from '../errors';
import type { CheckpointingMode, StopMode } from '../checkpoint/checkpointing-mode';
import type { S3PathAccess } from '../storage/s3-path';
import type { ChainMember, WatermarkInput } from './chain-member';
import { OperatorChain } from './operator-chain';
import type { TaskDeploymentDescriptor } from '../deployment/task-deployment';
import { taskName } from '../deployment/task-deployment';
import type { TaskControlMessage, TaskReporter } from './task-reporter';
import type { TaskMetrics } from '../deployment/execution-state';
import { CheckpointBarrierHandler } from './checkpoint-barrier-handler';
import { ControlLane } from './control-lane';
import type { InputChannel, InputGroup } from './input-gate';
import { InputGate } from './input-gate';
import { SourceInputs } from './source-inputs';
import { SubtaskCheckpointer } from './subtask-checkpointer';
import { createTaskOutputs, portOf } from './task-outputs';

const INPUT_BUFFERS_PER_TURN = 64;
/** A turn of input ends after this long, so timers (metrics, flushes) run behind a slow operator. */
const INPUT_SLICE_MS = 5;

/**
 * - `running`: processing input and polling sources.
 * - `awaiting-final-checkpoint`: with checkpointing, every input ended and the operators
 *   finished; the task still passes barriers on and waits for a checkpoint taken after that
 *   to complete (so sinks commit).
 * - `finishing`: end-of-partition sent, closing operators; `done`: stopped for any reason.
 */
type StreamTaskState = 'created' | 'running' | 'awaiting-final-checkpoint' | 'finishing' | 'done';

/** How `StreamTask.run` ended when it did not fail. */
export type StreamTaskOutcome = 'finished' | 'canceled';

export interface StreamTaskOptions {
  /** The TaskManager running this task, named in connectors' error messages. */
  readonly taskManagerId?: string;
  /** The checkpoint's state to start from. */
  readonly restore?: TaskRestoreState;
  /** `s3://` access for connectors, through the TaskManager. */
  readonly s3?: S3PathAccess;
}

/**
 * Runs one subtask of a chain inside a task thread, mailbox style: everything happens on the
 * thread's event loop — input buffers arriving, sources being polled, credits returning,
 * control messages (checkpoints, cancel) served between two turns — and nothing runs
 * concurrently. While any output channel has a backlog (no credit), the task pulls no input
 * and polls no source: that is how backpressure reaches the sources.
 */
export class StreamTask {
  private readonly chain: OperatorChain;
  private readonly outputs: readonly OutputChannel[];
  private readonly writers: readonly RecordWriter[];
  private readonly gate: InputGate;
  private readonly sources: SourceInputs | undefined;
  /** Present when the job checkpoints. Inputs: the gate's channels, then the sources. */
  private readonly barriers: CheckpointBarrierHandler | undefined;
  private readonly checkpointer: SubtaskCheckpointer;
  private readonly lane: ControlLane;
  /** The timestamp of the record being processed, shared by the chain and its record writers. */
  private readonly recordTimestamp: RecordTimestamp = { value: undefined };
  private readonly processingTime: TaskProcessingTimeService;
  /** Where operators post work that completes outside their calls (async I/O), and pause the input. */
  private readonly mailbox: TaskMailbox;
  /** The watermark valve input of each network channel, by channel index. */
  private readonly watermarkInputs: WatermarkInput[] = [];
  private readonly time = new TaskTimeAccounting();
  private recordsIn = 0;
  private state: StreamTaskState = 'created';
  private drainScheduled = false;
  private timers: NodeJS.Timeout[] = [];
  private opened: Promise<void> | undefined;
  /** The first checkpoint taken after the end of input: its completion lets the task finish. */
  private finalCheckpointId: number | undefined;
  private readonly done: Promise<StreamTaskOutcome>;
  private settle!: { resolve: (outcome: StreamTaskOutcome) => void; reject: (err: unknown) => void };

  constructor(
    private readonly tdd: TaskDeploymentDescriptor,
    graph: StreamGraph,
    vertex: JobVertex,
    ports: ReadonlyMap<string, MessagePort>,
    private readonly reporter: TaskReporter,
    state: TaskStateSettings,
    private readonly options: StreamTaskOptions = {},
  ) {
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    const { channels, writers, writersByOperator, writerTags } = createTaskOutputs(
      tdd,
      graph,
      ports,
      (b) => this.onBacklogChange(b),
      this.recordTimestamp,
    );
    this.processingTime = new TaskProcessingTimeService(
      () => (this.state === 'created' ? 'defer' : this.state === 'running' ? 'run' : 'drop'),
      () => (this.recordTimestamp.value = undefined),
      (err) => this.fail(err),
    );
    this.mailbox = new TaskMailbox(
      () => (this.state === 'created' ? 'defer' : this.state === 'running' ? 'run' : 'drop'),
      () => (this.recordTimestamp.value = undefined),
      (err) => this.fail(err),
      (ms) => this.time.addBusy(ms),
      (paused) => {
        if (!paused) this.resumeInput();
      },
    );
    this.outputs = channels;
    this.writers = writers;
    const networkFeeders = new Map<string, number>();
    for (const gate of tdd.inputs) {
      const key = `${gate.targetOperator}#${gate.targetInput}`;
      networkFeeders.set(key, (networkFeeders.get(key) ?? 0) + 1);
    }
    const runtime = {
      subtaskIndex: tdd.subtaskIndex,
      parallelism: tdd.parallelism,
      taskName: taskName(tdd),
      attemptNumber: tdd.attempt,
      jobParameters: tdd.code.args,
      taskManagerId: options.taskManagerId ?? 'embedded',
      sinkContext: {
        emitOutput: (line: string) => reporter.output(line),
        emitResult: (v: unknown) => reporter.result(v),
        attemptNumber: tdd.attempt,
      },
      connector: { jobId: tdd.jobId, ...(options.s3 ? { s3: options.s3 } : {}) },
      writersByOperator,
      writerTags,
      networkFeeders,
      state,
      ...(tdd.checkpointing ? { checkpointing: tdd.checkpointing } : {}),
      processingTime: this.processingTime,
      mailbox: this.mailbox,
      recordTimestamp: this.recordTimestamp,
      autoWatermarkIntervalMs: graph.settings.autoWatermarkIntervalMs ?? DEFAULT_AUTO_WATERMARK_INTERVAL_MS,
    };
    this.chain = new OperatorChain(graph, vertex, runtime, () => this.endOfInput());
    this.gate = new InputGate(() => this.scheduleDrain());
    for (const gate of tdd.inputs) {
      const group: InputGroup = {
        target: this.chain.input(gate.targetOperator, gate.targetInput),
        open: gate.channels.length,
      };
      for (const id of gate.channels) {
        const channel = this.gate.add(id, portOf(ports, id), group);
        this.watermarkInputs[channel.index] = this.chain.addWatermarkInput(gate.targetOperator);
      }
    }
    this.sources = this.chain.sources.length > 0 ? this.createSourceInputs() : undefined;
    this.checkpointer = new SubtaskCheckpointer(this.chain, reporter);
    this.barriers = tdd.checkpointing ? this.createBarrierHandler(tdd.checkpointing.mode) : undefined;
    this.lane = new ControlLane(
      (m) => this.onControl(m),
      (err) => this.fail(err),
    );
    // Output to the client is bounded too: while it is backlogged the task pauses like under network back pressure.
    reporter.onBacklogChange?.((backlogged) => this.onBacklogChange(backlogged));
  }

  /**
   * Runs the task to its end: 'finished' after the end of input (and, with checkpointing, the
   * final checkpoint), 'canceled' after a cancel. Rejects with the failure, attributed to an
   * operator where possible.
   */
  async run(): Promise<StreamTaskOutcome> {
    if (this.state !== 'created') return this.done; // canceled before it ran
    this.opened = this.chain.open(this.options.restore);
    try {
      await this.opened;
    } catch (err) {
      // The open failure is the one to report; the executor removes the state directory anyway.
      await this.chain.disposeOperators();
      await this.chain.disposeState().catch(() => undefined);
      throw err;
    }
    if (this.state !== 'created') return this.done; // canceled while opening
    this.state = 'running';
    this.time.start();
    this.startTimers();
    this.mailbox.resume();
    this.gate.start(this.tdd.network.initialCredit);
    this.sources?.schedule();
    return this.done;
  }

  /** A message from the TaskManager thread: served between two turns of input (the control lane). */
  control(message: TaskControlMessage): void {
    this.lane.post(message);
  }

  /** Counters for metrics; the idle time is what is neither busy nor back-pressured. */
  metrics(): TaskMetrics {
    const operators = this.chain.metrics();
    let recordsIn = this.recordsIn;
    let recordsOut = this.writers.reduce((sum, w) => sum + w.recordsOut, 0);
    for (const member of this.chain.members.values()) {
      if (member.isSink) recordsOut += member.recordsIn; // a sink writes every record it takes
    }
    for (const source of this.chain.sources) recordsIn += source.recordsOut;
    return {
      recordsIn,
      recordsOut,
      ...this.time.times(),
      operators,
    };
  }

  /**
   * Whether input and sources must wait. After the end of input (with checkpointing) input is
   * still taken: barriers and end-of-partition keep coming.
   */
  private get blocked(): boolean {
    return (
      this.time.isBackPressured ||
      this.mailbox.inputPaused ||
      this.state === 'created' ||
      this.state === 'done'
    );
  }

  private createSourceInputs(): SourceInputs {
    return new SourceInputs(this.chain.sources, {
      isBlocked: () => this.blocked,
      hasPendingControl: () => this.lane.pending,
      sourceEnded: (member: ChainMember) => this.chain.sourceEnded(member),
      addBusyMs: (ms) => this.time.addBusy(ms),
      fail: (err) => this.fail(err),
    });
  }

  private createBarrierHandler(mode: CheckpointingMode): CheckpointBarrierHandler {
    const sourceInput = this.gate.channels.length;
    return new CheckpointBarrierHandler(mode, sourceInput + (this.sources ? 1 : 0), {
      hold: (input) => {
        if (input === sourceInput) this.sources!.held = true;
        else this.gate.hold(this.gate.channels[input]!);
      },
      releaseAll: () => {
        this.gate.releaseAll();
        if (this.sources?.held) {
          this.sources.held = false;
          this.sources.schedule();
        }
      },
      aligned: (checkpointId, timestamp, alignmentMs) =>
        this.takeCheckpoint(checkpointId, timestamp, alignmentMs),
      superseded: (checkpointId, by) =>
        this.checkpointer.decline(
          checkpointId,
          new StateError(
            `checkpoint ${checkpointId} was superseded by checkpoint ${by} before its barriers aligned`,
          ),
        ),
    });
  }

  private onControl(message: TaskControlMessage): void | Promise<void> {
    switch (message.type) {
      case 'trigger-checkpoint':
        return this.triggerCheckpoint(message.checkpointId, message.timestamp, message.stop);
      case 'checkpoint-complete':
        return this.checkpointComplete(message.checkpointId);
      case 'checkpoint-aborted':
        if (this.state !== 'running' && this.state !== 'awaiting-final-checkpoint') return;
        this.barriers?.abort(message.checkpointId);
        return this.chain.notifyCheckpointAborted(message.checkpointId);
      case 'cancel':
        return this.cancel();
      default:
        // Output acknowledgements and blob replies are the worker's (see task-worker.ts).
        return;
    }
  }

  /**
   * The coordinator starts checkpoint `checkpointId` here: at the chain's sources, ended or
   * not (their "barrier", aligned with any network inputs), or at a task whose upstream ended
   * (each open input aligns with its barrier or its end; see `CheckpointBarrierHandler.onTrigger`).
   * With `stop` (stop-with-savepoint) the sources end around the barrier: after it without
   * drain (nothing follows the savepoint), before it with drain (everything flushes into it).
   */
  private triggerCheckpoint(checkpointId: number, timestamp: number, stop?: StopMode): void {
    // A finishing task acked its final state before; it takes no further checkpoints.
    if (this.state === 'finishing' || this.state === 'done') return;
    if (!this.barriers || this.state === 'created') {
      const why = this.barriers ? 'the task is not running yet' : 'the job does not checkpoint';
      this.checkpointer.decline(
        checkpointId,
        new StateError(`cannot take checkpoint ${checkpointId}: ${why}`),
      );
      return;
    }
    if (stop === 'drain') this.sources?.endAll();
    if (this.sources) this.barriers.onBarrier(this.gate.channels.length, checkpointId, timestamp);
    else this.barriers.onTrigger(checkpointId, timestamp);
    if (stop === 'no-drain') this.sources?.endAll();
  }

  /** Inputs aligned for `checkpointId`: snapshot, then the barrier follows the records before it. */
  private takeCheckpoint(checkpointId: number, timestamp: number, alignmentMs: number): void {
    const taskFinished = this.state === 'awaiting-final-checkpoint';
    if (taskFinished) this.finalCheckpointId ??= checkpointId;
    this.checkpointer.checkpoint(
      checkpointId,
      alignmentMs,
      () => this.broadcast({ kind: 'barrier', checkpointId, timestamp }),
      taskFinished,
    );
  }

  private async checkpointComplete(checkpointId: number): Promise<void> {
    if (this.state !== 'running' && this.state !== 'awaiting-final-checkpoint') return;
    await this.chain.notifyCheckpointComplete(checkpointId);
    const final = this.finalCheckpointId;
    if (this.state === 'awaiting-final-checkpoint' && final !== undefined && checkpointId >= final) {
      await this.finish();
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.blocked || !this.gate.hasInput) return;
    this.drainScheduled = true;
    // Processed in a turn of its own, never inside the port's delivery loop: Node delivers up to
    // 1000 queued messages in one go, which behind a slow operator would starve every timer.
    setImmediate(() => this.drainInputs());
  }

  private drainInputs(): void {
    this.drainScheduled = false;
    const started = performance.now();
    const deadline = started + INPUT_SLICE_MS;
    try {
      for (
        let turn = 0;
        turn < INPUT_BUFFERS_PER_TURN && !this.blocked && !this.lane.pending && performance.now() < deadline;
        turn++
      ) {
        const next = this.gate.next();
        if (!next) break;
        this.process(next[0], next[1]);
      }
    } catch (err) {
      this.fail(err);
      return;
    } finally {
      this.gate.flushCredit();
      this.time.addBusy(performance.now() - started);
    }
    this.scheduleDrain();
  }

  private process(channel: InputChannel, message: DownstreamMessage): void {
    if (message.t === 'data') {
      const { records, timestamps } = decodeTimestampedBatch(message.buf);
      this.recordsIn += records.length;
      const target = channel.group.target;
      const timestamp = this.recordTimestamp;
      if (timestamps) {
        for (let i = 0; i < records.length; i++) {
          timestamp.value = timestamps[i] ?? undefined;
          target.collect(records[i]);
        }
      } else {
        timestamp.value = undefined;
        for (let i = 0; i < records.length; i++) target.collect(records[i]);
      }
      this.gate.returnCredit(channel);
      return;
    }
    const event = message.e;
    if (event.kind === 'end-of-data') {
      this.dataEnded(channel);
    } else if (event.kind === 'end-of-partition') {
      this.gate.end(channel);
      // Alignment first: a checkpoint waiting only for this channel is taken before the operators finish.
      this.barriers?.onEndOfInput(channel.index);
      this.dataEnded(channel);
    } else if (event.kind === 'barrier' && this.state !== 'finishing') {
      this.barriers?.onBarrier(channel.index, event.checkpointId, event.timestamp);
    } else if (event.kind === 'watermark' && !channel.dataEnded) {
      const input = this.watermarkInputs[channel.index]!;
      input.valve.onWatermark(input.index, event.timestamp);
    } else if (event.kind === 'watermark-status' && !channel.dataEnded) {
      const input = this.watermarkInputs[channel.index]!;
      input.valve.onStatus(input.index, event.idle);
    }
  }

  /** No more records on the channel: once a whole gate is through, the operator input ends. */
  private dataEnded(channel: InputChannel): void {
    if (channel.dataEnded) return;
    channel.dataEnded = true;
    // The channel's event time is over: the final watermark, before the operator's input ends.
    const input = this.watermarkInputs[channel.index]!;
    input.valve.onEnd(input.index);
    const { group } = channel;
    if (--group.open === 0) this.chain.feederEnded(group.target.member, group.target.input);
  }

  private broadcast(event: ChannelEvent): void {
    for (const output of this.outputs) output.sendEvent(event);
  }

  private onBacklogChange(backlogged: boolean): void {
    if (this.time.onBacklogChange(backlogged)) this.resumeInput();
  }

  /** Whatever held the input let go: input and sources get turns again (unless something else holds them). */
  private resumeInput(): void {
    // Input first: a source fills the outputs again in one poll, and would starve the network input.
    this.scheduleDrain();
    this.sources?.schedule();
  }

  private startTimers(): void {
    const { bufferTimeoutMs } = this.tdd.network;
    if (bufferTimeoutMs > 0 && this.outputs.length > 0) {
      this.timers.push(setInterval(() => this.outputs.forEach((o) => o.flush()), bufferTimeoutMs));
    }
  }

  /**
   * Every operator finished. Without checkpointing the task ends now. With checkpointing it
   * sends end-of-data (its channels stay open for barriers) and waits for a checkpoint taken
   * after this point to complete, so what its sinks staged last gets committed (FLIP-147).
   */
  private endOfInput(): void {
    if (this.state !== 'running') return;
    if (!this.tdd.checkpointing) {
      void this.finish();
      return;
    }
    this.state = 'awaiting-final-checkpoint';
    this.broadcast({ kind: 'end-of-data' });
    this.reporter.send({ type: 'end-of-input' });
  }

  /**
   * Closes the task after the end of input: end-of-partition out, then waits until consumers
   * acknowledged it and (with checkpointing, where end-of-data came first) every producer
   * ended its channel too, so no peer is left waiting for an acknowledgement from this task.
   */
  private async finish(): Promise<void> {
    this.state = 'finishing';
    try {
      this.broadcast({ kind: 'end-of-partition' });
      await Promise.all([...this.outputs.map((o) => o.whenEndAcknowledged()), this.gate.whenAllEnded()]);
      await this.checkpointer.settled();
      await this.chain.close();
      this.cleanup();
      this.settle.resolve('finished');
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Stops the task and frees its state before the thread exits: a kv store being opened is
   * first allowed to finish opening, since closing it underneath could abort the process.
   */
  private async cancel(): Promise<void> {
    if (this.state === 'done') return;
    this.cleanup();
    await this.opened?.catch(() => undefined);
    try {
      await this.chain.disposeOperators();
      await this.chain.disposeState();
    } finally {
      this.settle.resolve('canceled');
    }
  }

  private fail(err: unknown): void {
    if (this.state === 'done') return;
    this.cleanup();
    // The task's failure is what gets reported; if freeing state fails too, the task executor
    // still removes the task's state directory when the thread exits.
    void this.chain
      .disposeOperators()
      .then(() => this.chain.disposeState())
      .then(
        () => this.settle.reject(err),
        () => this.settle.reject(err),
      );
  }

  private cleanup(): void {
    this.state = 'done';
    this.processingTime.close();
    this.timers.forEach(clearInterval);
    this.timers = [];
    this.gate.close();
    for (const output of this.outputs) output.close();
  }
}
