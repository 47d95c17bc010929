import type { MessagePort } from 'node:worker_threads';
import type { TaskRestoreState } from '../checkpoint/state-handles';
import type { JobVertex } from '../graph/job-graph';
import type { StreamGraph } from '../graph/stream-graph';
import type { ChannelEvent } from '../network/channel-protocol';
import type { OutputChannel } from '../network/output-channel';
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
import type { TaskControlMessage, TaskReporter } from './task-reporter';
import type { TaskMetrics } from '../deployment/execution-state';
import { CheckpointBarrierHandler } from './checkpoint-barrier-handler';
import { ControlLane } from './control-lane';
import type { InputGroup } from './input-gate';
import { InputGate, alignmentHolds } from './input-gate';
import { NetworkInputs } from './network-inputs';
import { SourceInputs } from './source-inputs';
import { SubtaskCheckpointer } from './subtask-checkpointer';
import type { StreamTaskState } from './task-ending';
import { TaskEnding } from './task-ending';
import { createTaskOutputs, portOf } from './task-outputs';
import { createChainRuntime } from './task-chain-runtime';

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
  private readonly network: NetworkInputs;
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
  private readonly state: { value: StreamTaskState } = { value: 'created' };
  /** End of input, the final checkpoint, and suspension by a stop-with-savepoint without drain. */
  private readonly ending: TaskEnding;
  private timers: NodeJS.Timeout[] = [];
  private opened: Promise<void> | undefined;
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
    const outputs = createTaskOutputs(
      tdd,
      graph,
      ports,
      (b) => this.onBacklogChange(b),
      this.recordTimestamp,
    );
    this.processingTime = new TaskProcessingTimeService(
      () => this.timerMode(),
      () => (this.recordTimestamp.value = undefined),
      (err) => this.fail(err),
    );
    this.mailbox = new TaskMailbox(
      () => this.timerMode(),
      () => (this.recordTimestamp.value = undefined),
      (err) => this.fail(err),
      (ms) => this.time.addBusy(ms),
      (paused) => {
        if (!paused) this.resumeInput();
      },
    );
    this.outputs = outputs.channels;
    this.writers = outputs.writers;
    const runtime = createChainRuntime(tdd, graph, reporter, state, options, {
      outputs,
      processingTime: this.processingTime,
      mailbox: this.mailbox,
      recordTimestamp: this.recordTimestamp,
    });
    this.chain = new OperatorChain(graph, vertex, runtime, () => this.ending.endOfInput());
    this.gate = new InputGate(() => this.network.schedule());
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
    this.network = this.createNetworkInputs();
    this.sources = this.chain.sources.length > 0 ? this.createSourceInputs() : undefined;
    this.checkpointer = new SubtaskCheckpointer(this.chain, reporter);
    this.barriers = tdd.checkpointing ? this.createBarrierHandler(tdd.checkpointing.mode) : undefined;
    this.ending = this.createEnding();
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
   * operator where possible. `onRunning` is called once the chain opened (state restored,
   * functions opened) and before any input is taken: only then may checkpoints be triggered.
   */
  async run(onRunning?: () => void): Promise<StreamTaskOutcome> {
    if (this.state.value !== 'created') return this.done; // canceled before it ran
    this.opened = this.chain.open(this.options.restore);
    try {
      await this.opened;
    } catch (err) {
      // The open failure is the one to report; the executor removes the state directory anyway.
      await this.chain.disposeOperators();
      await this.chain.disposeState().catch(() => undefined);
      throw err;
    }
    if (this.state.value !== 'created') return this.done; // canceled while opening
    this.state.value = 'running';
    onRunning?.();
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
    let recordsIn = this.network.recordsIn;
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
      this.state.value === 'created' ||
      this.state.value === 'done'
    );
  }

  /**
   * Timers and mail from operators wait until the task runs, and are dropped once it ends.
   * After the task snapshotted for a stop savepoint they wait too (see `TaskEnding`).
   */
  private timerMode(): 'defer' | 'run' | 'drop' {
    const state = this.state.value;
    if (state === 'created') return 'defer';
    if (state !== 'running') return 'drop';
    return this.ending.quiesced ? 'defer' : 'run';
  }

  private createNetworkInputs(): NetworkInputs {
    return new NetworkInputs(this.gate, this.watermarkInputs, this.recordTimestamp, {
      isBlocked: () => this.blocked,
      hasPendingControl: () => this.lane.pending,
      isFinishing: () => this.state.value === 'finishing',
      barriers: () => this.barriers,
      stopBarrier: (checkpointId) => this.ending.stopBarrier(checkpointId),
      dataEnded: (channel, stopBy) => this.ending.dataEnded(channel, stopBy),
      addBusyMs: (ms) => this.time.addBusy(ms),
      fail: (err) => this.fail(err),
    });
  }

  private createEnding(): TaskEnding {
    return new TaskEnding({
      state: this.state,
      chain: this.chain,
      gate: this.gate,
      sources: this.sources,
      outputs: this.outputs,
      checkpointer: this.checkpointer,
      reporter: this.reporter,
      watermarkInputs: this.watermarkInputs,
      checkpointing: this.tdd.checkpointing !== undefined,
      resumeDeferred: () => this.mailbox.resume(),
      cleanup: () => this.cleanup(),
      finished: () => this.settle.resolve('finished'),
      fail: (err) => this.fail(err),
    });
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
    const inputs = this.gate.channels.length + (this.sources ? 1 : 0);
    return new CheckpointBarrierHandler(mode, inputs, {
      ...alignmentHolds(this.gate, this.sources),
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
        if (!this.takesCheckpointNotices) return;
        return this.ending.checkpointComplete(message.checkpointId);
      case 'checkpoint-aborted':
        if (!this.takesCheckpointNotices) return;
        this.barriers?.abort(message.checkpointId);
        this.ending.checkpointAborted(message.checkpointId);
        return this.chain.notifyCheckpointAborted(message.checkpointId);
      case 'cancel':
        return this.cancel();
      default:
        // Output acknowledgements and blob replies are the worker's (see task-worker.ts).
        return;
    }
  }

  /** Whether checkpoint completions and aborts still concern the task (a suspended one committed already). */
  private get takesCheckpointNotices(): boolean {
    return this.state.value === 'running' || this.state.value === 'awaiting-final-checkpoint';
  }

  /**
   * The coordinator starts checkpoint `checkpointId` here: at the chain's sources, ended or
   * not (their "barrier", aligned with any network inputs), or at a task whose upstream ended
   * (each open input aligns with its barrier or its end; see `CheckpointBarrierHandler.onTrigger`).
   * With `stop` (stop-with-savepoint): with drain the sources end before the barrier (everything
   * flushes into the savepoint); without, they read nothing after it, and stop without ending
   * once it completed (see `TaskEnding`).
   */
  private triggerCheckpoint(checkpointId: number, timestamp: number, stop?: StopMode): void {
    // A finishing task acked its final state before; it takes no further checkpoints.
    if (this.state.value === 'finishing' || this.state.value === 'done') return;
    if (!this.barriers || this.state.value === 'created') {
      const why = this.barriers ? 'the task is not running yet' : 'the job does not checkpoint';
      this.checkpointer.decline(
        checkpointId,
        new StateError(`cannot take checkpoint ${checkpointId}: ${why}`),
      );
      return;
    }
    if (stop === 'drain') this.sources?.endAll();
    if (stop === 'no-drain') this.ending.stopBarrier(checkpointId);
    if (this.sources) this.barriers.onBarrier(this.gate.channels.length, checkpointId, timestamp);
    else this.barriers.onTrigger(checkpointId, timestamp);
    if (stop === 'no-drain') this.ending.stopTriggered(checkpointId);
  }

  /** Inputs aligned for `checkpointId`: snapshot, then the barrier follows the records before it. */
  private takeCheckpoint(checkpointId: number, timestamp: number, alignmentMs: number): void {
    const taskFinished = this.ending.checkpointTaken(checkpointId);
    const stop = this.ending.isStop(checkpointId) ? { stop: 'no-drain' as const } : {};
    this.checkpointer.checkpoint(
      checkpointId,
      alignmentMs,
      () => this.broadcast({ kind: 'barrier', checkpointId, timestamp, ...stop }),
      taskFinished,
    );
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
    this.network.schedule();
    this.sources?.schedule();
  }

  private startTimers(): void {
    const { bufferTimeoutMs } = this.tdd.network;
    if (bufferTimeoutMs > 0 && this.outputs.length > 0) {
      this.timers.push(setInterval(() => this.outputs.forEach((o) => o.flush()), bufferTimeoutMs));
    }
  }

  /**
   * Stops the task and frees its state before the thread exits: a kv store being opened is
   * first allowed to finish opening, since closing it underneath could abort the process.
   */
  private async cancel(): Promise<void> {
    if (this.state.value === 'done') return;
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
    if (this.state.value === 'done') return;
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
    this.state.value = 'done';
    this.processingTime.close();
    this.timers.forEach(clearInterval);
    this.timers = [];
    this.gate.close();
    for (const output of this.outputs) output.close();
  }
}
