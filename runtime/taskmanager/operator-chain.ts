import type {
  OperatorContext,
  ProcessingTimeService,
  RecordTimestamp,
} from '../api/operators/stream-operator';
import { WatermarkValve } from './watermark-valve';
import { SinkOperator, SourceOperator } from '../api/operators/source-sink-operators';
import { dropsLateRecords } from '../api/operators/stream-operator';
import { StateError } from '../errors';
import { createLogger } from '../util/logger';
import { keyGroupRangeForSubtask } from '../graph/key-groups';
import type { JobVertex } from '../graph/job-graph';
import type { StreamGraph, StreamNode } from '../graph/stream-graph';
import type { RecordWriter } from '../network/record-writer';
import type { OperatorMetrics } from '../deployment/execution-state';
import type { KeyedStateBackend } from '../state/keyed-state-backend';
import { OperatorStateBackend } from '../state/operator-state-backend';
import type { TaskStateSettings } from '../state/state-backend-factory';
import { createKeyedStateBackend } from '../state/state-backend-factory';
import type { StateSnapshot } from '../state/keyed-state-backend';
import type { TaskCheckpointing } from '../checkpoint/checkpointing-mode';
import type { TaskRestoreState } from '../checkpoint/state-handles';
import type { ChainMember, WatermarkInput } from './chain-member';
import type { TaskMailbox } from './task-mailbox';
import { OperatorInput, attributeError } from './chain-member';
import { ChainOutputs } from './chain-outputs';

const log = createLogger('operator-chain');

export interface ChainRuntime {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** Runtime info user functions get (see RuntimeInfo). */
  readonly taskName: string;
  readonly attemptNumber: number;
  readonly jobParameters: Readonly<Record<string, string>>;
  readonly taskManagerId: string;
  readonly sinkContext: OperatorContext['sinkContext'];
  readonly connector: OperatorContext['connector'];
  /** Record writers of this task's outgoing job edges, by source operator id. */
  readonly writersByOperator: ReadonlyMap<string, readonly RecordWriter[]>;
  /** The side output (OutputTag id) of each writer that carries one; the others carry the main output. */
  readonly writerTags: ReadonlyMap<RecordWriter, string>;
  /** Network gates feeding each operator input: `${operatorId}#${input}` -> count. */
  readonly networkFeeders: ReadonlyMap<string, number>;
  /** Where this task's operators keep state; the job's `stateBackend` setting picks the backend. */
  readonly state: TaskStateSettings;
  /** Present when the job checkpoints. */
  readonly checkpointing?: TaskCheckpointing;
  readonly processingTime: ProcessingTimeService;
  readonly mailbox: TaskMailbox;
  readonly recordTimestamp: RecordTimestamp;
  readonly autoWatermarkIntervalMs: number;
}

/** The synchronous part of one operator's snapshot (see `OperatorChain.snapshotState`). */
export interface OperatorSnapshotInProgress {
  readonly operatorId: string;
  readonly keyed?: StateSnapshot;
  readonly operator?: StateSnapshot;
}

/**
 * The operators of one subtask of a chain, wired with plain function calls (docs/architecture.md §3).
 * Tracks end of input through the chain: an operator finishes when all its inputs ended, and
 * its finishing ends the inputs it feeds.
 */
export class OperatorChain {
  readonly members = new Map<string, ChainMember>();
  readonly sources: ChainMember[] = [];
  private unfinished: number;
  /** Operators whose `finish` returned a promise that has not settled yet. */
  private readonly finishing = new Set<ChainMember>();
  private readonly stateBackend: StreamGraph['settings']['stateBackend'];
  /** The valve input each chained edge feeds. */
  private readonly chainedWatermarkInputs = new Map<JobVertex['chainedEdges'][number], WatermarkInput>();

  constructor(
    graph: StreamGraph,
    private readonly vertex: JobVertex,
    private readonly runtime: ChainRuntime,
    private readonly onAllFinished: () => void,
  ) {
    const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
    this.stateBackend = graph.settings.stateBackend;
    for (const spec of vertex.operators) {
      const node = nodes.get(spec.id)!;
      const operator = node.transformation.createOperator();
      const member: ChainMember = {
        node,
        operator,
        openFeeders: [],
        finished: false,
        isSink: operator instanceof SinkOperator,
        recordsIn: 0,
        recordsOut: 0,
        valve: undefined as unknown as WatermarkValve,
        outputWatermark: Number.NEGATIVE_INFINITY,
        timestamp: runtime.recordTimestamp,
      };
      (member as { valve: WatermarkValve }).valve = this.valveOf(member);
      for (let input = 0; input < node.inputCount; input++) {
        const chained = vertex.chainedEdges.filter((e) => e.to === node.id && e.input === input).length;
        member.openFeeders.push(chained + (runtime.networkFeeders.get(`${node.id}#${input}`) ?? 0));
      }
      this.members.set(node.id, member);
      if (member.operator instanceof SourceOperator) this.sources.push(member);
    }
    this.unfinished = this.members.size;
    for (const edge of vertex.chainedEdges) {
      const valve = this.members.get(edge.to)!.valve;
      this.chainedWatermarkInputs.set(edge, { valve, index: valve.addInput() });
    }
    const outputs = new ChainOutputs(vertex, runtime, this.members, this.chainedWatermarkInputs);
    for (const member of this.members.values()) {
      member.operator.output = outputs.outputOf(member, undefined);
      member.operator.sideOutput = outputs.sideOutputOf(member);
      member.operator.watermarks = outputs.watermarkEmitterOf(member);
    }
  }

  /** Adds a network channel to the inputs whose watermarks make up the operator's event time. */
  addWatermarkInput(operatorId: string): WatermarkInput {
    const valve = this.members.get(operatorId)!.valve;
    return { valve, index: valve.addInput() };
  }

  /** Records in and out of every operator, in chain order. */
  metrics(): OperatorMetrics[] {
    return [...this.members.values()].map((m) => ({
      id: m.node.id,
      name: m.node.name,
      // A source's input is what it read, which is what it emitted.
      recordsIn: m.operator instanceof SourceOperator ? m.recordsOut : m.recordsIn,
      // A sink's output is what it wrote to the outside world: every record it took.
      recordsOut: m.isSink ? m.recordsIn : m.recordsOut,
      ...finiteAs('currentInputWatermark', m.valve.currentWatermark),
      ...finiteAs('currentOutputWatermark', m.outputWatermark),
      ...(dropsLateRecords(m.operator) ? { lateRecordsDropped: m.operator.lateRecordsDropped } : {}),
    }));
  }

  input(operatorId: string, input: number): OperatorInput {
    return new OperatorInput(this.members.get(operatorId)!, input);
  }

  /**
   * Creates each operator's state backends, restores them from `restore` (a checkpoint's
   * bytes by operator id) and initializes the operator's state, then opens operators from the
   * end of the chain backwards, so receivers are ready first.
   */
  async open(restore?: TaskRestoreState): Promise<void> {
    for (const member of [...this.members.values()].reverse()) {
      const { node } = member;
      const context: OperatorContext = {
        operatorId: node.id,
        operatorName: node.name,
        subtaskIndex: this.runtime.subtaskIndex,
        parallelism: this.runtime.parallelism,
        maxParallelism: node.maxParallelism,
        taskName: this.runtime.taskName,
        attemptNumber: this.runtime.attemptNumber,
        jobParameters: this.runtime.jobParameters,
        taskManagerId: this.runtime.taskManagerId,
        sinkContext: this.runtime.sinkContext,
        connector: this.runtime.connector,
        keyedState: node.keyed ? (member.keyedState = this.keyedStateBackend(node)) : undefined,
        processingTime: this.runtime.processingTime,
        recordTimestamp: this.runtime.recordTimestamp,
        autoWatermarkIntervalMs: this.runtime.autoWatermarkIntervalMs,
        mailbox: this.runtime.mailbox.forOperator(node),
        ...(this.runtime.checkpointing ? { checkpointing: this.runtime.checkpointing } : {}),
      };
      member.operatorState = new OperatorStateBackend(node.name);
      try {
        const isRestored = this.restoreState(member, restore);
        const restoredParallelism = restore?.operators[node.id]?.parallelism;
        await member.operator.initializeState({
          keyedStateBackend: member.keyedState,
          operatorStateBackend: member.operatorState,
          isRestored,
          ...(restoredParallelism !== undefined ? { restoredParallelism } : {}),
        });
        await member.operator.open(context);
      } catch (err) {
        throw attributeError(err, node);
      }
    }
  }

  /**
   * The synchronous part of a checkpoint, in chain order: each operator moves what it holds
   * outside its backends into state (`snapshotState`), then its backends are snapshotted.
   * Operator state is left out for operators that registered none.
   */
  snapshotState(checkpointId: number): OperatorSnapshotInProgress[] {
    const taken: OperatorSnapshotInProgress[] = [];
    try {
      for (const member of this.members.values()) {
        this.call(member, () => member.operator.snapshotState(checkpointId));
        const operatorState = member.operatorState;
        taken.push({
          operatorId: member.node.id,
          ...(member.keyedState ? { keyed: member.keyedState.snapshot(checkpointId) } : {}),
          ...(operatorState && operatorState.stateNames().length > 0
            ? { operator: operatorState.snapshot(checkpointId) }
            : {}),
        });
      }
    } catch (err) {
      releaseSnapshots(taken);
      throw err;
    }
    return taken;
  }

  /** Checkpoint `checkpointId` completed: every operator commits what it staged for it, in chain order. */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    for (const member of this.members.values()) {
      try {
        await member.operator.notifyCheckpointComplete(checkpointId);
      } catch (err) {
        throw attributeError(err, member.node);
      }
    }
  }

  notifyCheckpointAborted(checkpointId: number): void {
    for (const member of this.members.values()) {
      this.call(member, () => member.operator.notifyCheckpointAborted(checkpointId));
    }
  }

  /** One feeder of an operator input ended (a chained predecessor finished or a gate ended). */
  feederEnded(member: ChainMember, input: number): void {
    const left = --member.openFeeders[input]!;
    if (left === 0) this.call(member, () => member.operator.endInput(input));
    if (member.openFeeders.every((n) => n === 0)) this.finish(member);
  }

  /** A source reported its end. */
  sourceEnded(member: ChainMember): void {
    this.finish(member);
  }

  async close(): Promise<void> {
    try {
      for (const member of this.members.values()) {
        try {
          await member.operator.close();
        } catch (err) {
          throw attributeError(err, member.node);
        }
      }
    } finally {
      await this.disposeState();
    }
  }

  /**
   * The task stops early (cancel, failure): every operator releases what it opened (`dispose`,
   * which closes rich user functions). Failures are logged and do not stop the others; safe to
   * call again and after a failed `open`.
   */
  async disposeOperators(): Promise<void> {
    for (const member of this.members.values()) {
      try {
        await member.operator.dispose();
      } catch (err) {
        log.warn(
          { operator: member.node.name, operatorId: member.node.id, err },
          'disposing an operator failed',
        );
      }
    }
  }

  /** Frees every operator's state (a kv backend removes its files); safe to call again. */
  async disposeState(): Promise<void> {
    const backends = [...this.members.values()].flatMap((m) => (m.keyedState ? [m.keyedState] : []));
    for (const member of this.members.values()) member.keyedState = undefined;
    const results = await Promise.allSettled(backends.map((b) => b.dispose()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Loads the operator's part of `restore` into its backends. True whenever the task restores
   * a checkpoint (Flink's `isRestored`), even if this operator had no state in it.
   */
  private restoreState(member: ChainMember, restore: TaskRestoreState | undefined): boolean {
    if (!restore) return false;
    const saved = restore.operators[member.node.id];
    if (!saved) return true;
    if (saved.keyed.length > 0) {
      if (!member.keyedState)
        throw new StateError(
          `checkpoint ${restore.checkpointId} holds keyed state for operator '${member.node.name}', ` +
            'whose input is not keyed in this job',
        );
      member.keyedState.restore(saved.keyed);
    }
    if (saved.operator.length > 0) {
      // The backend compares the number of old subtasks with the new parallelism: the same
      // parallelism gives each subtask its own lists back, another one redistributes them.
      member.operatorState!.restore(saved.operator, this.runtime.subtaskIndex, this.runtime.parallelism);
    }
    return true;
  }

  private keyedStateBackend(node: StreamNode): KeyedStateBackend {
    const { subtaskIndex, parallelism, state } = this.runtime;
    return createKeyedStateBackend(this.stateBackend, state, {
      operatorId: node.id,
      operatorName: node.name,
      maxParallelism: node.maxParallelism,
      keyGroupRange: keyGroupRangeForSubtask(node.maxParallelism, parallelism, subtaskIndex),
    });
  }

  /**
   * The operator finishes; its successors' inputs end once it did, which for an operator
   * whose `finish` returns a promise (async calls still in flight) is when that settles.
   */
  private finish(member: ChainMember): void {
    if (member.finished || this.finishing.has(member)) return;
    let pending: Promise<void> | undefined;
    this.call(member, () => {
      const result = member.operator.finish();
      if (result) pending = result;
    });
    if (!pending) {
      this.finished(member);
      return;
    }
    this.finishing.add(member);
    // Back on the task thread through the mailbox, so nothing happens once the task stopped.
    const mailbox = this.runtime.mailbox.forOperator(member.node);
    (pending as Promise<void>).then(
      () => mailbox.execute(() => this.finished(member)),
      (err: unknown) =>
        mailbox.execute(() => {
          throw err;
        }),
    );
  }

  private finished(member: ChainMember): void {
    this.finishing.delete(member);
    member.finished = true;
    this.unfinished--;
    for (const edge of this.vertex.chainedEdges) {
      if (edge.from !== member.node.id) continue;
      const input = this.chainedWatermarkInputs.get(edge)!;
      input.valve.onEnd(input.index);
      this.feederEnded(this.members.get(edge.to)!, edge.input);
    }
    if (this.unfinished === 0) this.onAllFinished();
  }

  private call(member: ChainMember, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      throw attributeError(err, member.node);
    }
  }

  /** The operator's event time advances: it handles the watermark, keeping the record timestamp of its caller. */
  private valveOf(member: ChainMember): WatermarkValve {
    const around = (fn: () => void): void => {
      const timestamp = member.timestamp.value;
      this.call(member, fn);
      member.timestamp.value = timestamp;
    };
    return new WatermarkValve({
      emitWatermark: (ts) => around(() => member.operator.processWatermark(ts)),
      emitStatus: (idle) => around(() => member.operator.processWatermarkStatus(idle)),
    });
  }
}

/** Frees the synchronous parts of snapshots that will not be materialized. */
export function releaseSnapshots(snapshots: readonly OperatorSnapshotInProgress[]): void {
  for (const s of snapshots) {
    s.keyed?.release();
    s.operator?.release();
  }
}

/** `{ [name]: value }` for a watermark that is a real time, else nothing (JSON has no infinities). */
function finiteAs<N extends string>(name: N, value: number): { [K in N]?: number } {
  return (Number.isFinite(value) ? { [name]: value } : {}) as { [K in N]?: number };
}
