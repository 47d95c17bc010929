import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { MessageChannel } from 'node:worker_threads';
import type { StreamExecutionEnvironment } from '../../runtime/api/environment';
import { defineJob } from '../../runtime/api/job';
import type { JobSettings } from '../../runtime/api/job-settings';
import type { TaskCheckpointing } from '../../runtime/checkpoint/checkpointing-mode';
import type { TaskRestoreState } from '../../runtime/checkpoint/state-handles';
import type { TaskDeploymentDescriptor } from '../../runtime/deployment/task-deployment';
import type { JobVertex } from '../../runtime/graph/job-graph';
import { createJobGraph } from '../../runtime/graph/job-graph';
import { buildStreamGraph } from '../../runtime/graph/stream-graph';
import type {
  ChannelEvent,
  DownstreamMessage,
  UpstreamMessage,
} from '../../runtime/network/channel-protocol';
import { decodeBatch, encodeBatch } from '../../runtime/network/record-batch-codec';
import type { StreamTaskOutcome } from '../../runtime/taskmanager/stream-task';
import { StreamTask } from '../../runtime/taskmanager/stream-task';
import type {
  TaskControlMessage,
  TaskReporter,
  TaskThreadMessage,
} from '../../runtime/taskmanager/task-reporter';
import { waitFor } from '../../runtime/util/wait';

/**
 * Drives one StreamTask in the test's own thread, with no processes: the task's network
 * channels are MessageChannels whose far ends the harness holds (upstream producers it
 * writes records, barriers and end-of-partition into; downstream consumers that grant credit
 * and record what arrives), and what the task reports to its TaskManager is kept in
 * `messages`. Job code runs in this thread, so a test's sink or function can record into the
 * test's own variables.
 */

export interface TaskHarnessOptions {
  /** The job; the harness runs one subtask of one of its vertices. */
  readonly build: (env: StreamExecutionEnvironment) => void;
  /** Picks the vertex to run (default: the first). */
  readonly vertex?: (vertex: JobVertex) => boolean;
  readonly settings?: Partial<JobSettings>;
  /** Network channels per incoming job edge (as if the upstream had this parallelism); default 1. */
  readonly channelsPerInput?: number;
  readonly checkpointing?: TaskCheckpointing;
  readonly restore?: TaskRestoreState;
  readonly subtaskIndex?: number;
  readonly initialCredit?: number;
  /** Credit each downstream consumer grants up front (then one per buffer received); default plenty. */
  readonly outputCredit?: number;
  /**
   * Consumers grant only the up-front credit until `releaseCredit()`: the task then stops
   * mid-stream for certain, however late the test's own timers run on a loaded machine.
   */
  readonly holdOutputCredit?: boolean;
}

/** What a downstream consumer received on one output channel, in order. */
export type Received = { records: unknown[] } | { event: ChannelEvent };

export class UpstreamChannel {
  creditsReturned = 0;
  eopAcked = false;

  constructor(
    readonly id: string,
    private readonly port: MessagePort,
  ) {
    port.on('message', (m: UpstreamMessage) => {
      if (m.t === 'credit') this.creditsReturned += m.n;
      else this.eopAcked = true;
    });
  }

  send(...records: unknown[]): void {
    const buf = encodeBatch(records);
    this.port.postMessage({ t: 'data', buf, n: records.length } satisfies DownstreamMessage, [buf]);
  }

  /** Records with event-time timestamps (one per record). */
  sendAt(records: readonly unknown[], timestamps: readonly number[]): void {
    const buf = encodeBatch(records, timestamps);
    this.port.postMessage({ t: 'data', buf, n: records.length } satisfies DownstreamMessage, [buf]);
  }

  watermark(timestamp: number): void {
    this.event({ kind: 'watermark', timestamp });
  }

  barrier(checkpointId: number, timestamp = Date.now()): void {
    this.event({ kind: 'barrier', checkpointId, timestamp });
  }

  /** The barrier of a stop-with-savepoint without drain, as the producer forwards it. */
  stopBarrier(checkpointId: number, timestamp = Date.now()): void {
    this.event({ kind: 'barrier', checkpointId, timestamp, stop: 'no-drain' });
  }

  endOfPartition(): void {
    this.event({ kind: 'end-of-partition' });
  }

  /** What a checkpointing producer sends when its input ended (barriers may still follow). */
  endOfData(): void {
    this.event({ kind: 'end-of-data' });
  }

  /** What a producer stopped by stop-with-savepoint `savepointId` without drain sends once it completed. */
  endOfDataStopped(savepointId: number): void {
    this.event({ kind: 'end-of-data', stop: { mode: 'no-drain', savepointId } });
  }

  private event(e: ChannelEvent): void {
    this.port.postMessage({ t: 'event', e } satisfies DownstreamMessage);
  }

  close(): void {
    this.port.close();
  }
}

const RELEASED_CREDIT = 1_000_000;

export class DownstreamChannel {
  readonly received: Received[] = [];

  constructor(
    readonly id: string,
    private readonly port: MessagePort,
    credit: number,
    private held = false,
  ) {
    port.on('message', (m: DownstreamMessage) => {
      if (m.t === 'data') {
        this.received.push({ records: decodeBatch(m.buf) });
        if (!this.held) this.grant(1);
      } else {
        this.received.push({ event: m.e });
        if (m.e.kind === 'end-of-partition')
          this.port.postMessage({ t: 'eop-ack' } satisfies UpstreamMessage);
      }
    });
    this.grant(credit);
  }

  /** Every record received, in order. */
  get records(): unknown[] {
    return this.received.flatMap((r) => ('records' in r ? r.records : []));
  }

  /** Records received before the barrier of `checkpointId` (undefined: the barrier did not come). */
  recordsBeforeBarrier(checkpointId: number): unknown[] | undefined {
    const at = this.received.findIndex(
      (r) => 'event' in r && r.event.kind === 'barrier' && r.event.checkpointId === checkpointId,
    );
    if (at < 0) return undefined;
    return this.received.slice(0, at).flatMap((r) => ('records' in r ? r.records : []));
  }

  get events(): ChannelEvent[] {
    return this.received.flatMap((r) => ('event' in r ? [r.event] : []));
  }

  /**
   * Stops holding credit: grants plenty at once. (Giving back only what was held would make every
   * buffer queued behind the hold cost a credit round trip: with one record per buffer, a source
   * that read a 64 KB chunk queues ~5,000, and a CI run under load took over 30 s to get through.)
   */
  releaseCredit(): void {
    this.held = false;
    this.grant(RELEASED_CREDIT);
  }

  private grant(n: number): void {
    this.port.postMessage({ t: 'credit', n } satisfies UpstreamMessage);
  }

  close(): void {
    this.port.close();
  }
}

type Ack = Extract<TaskThreadMessage, { type: 'checkpoint-ack' }>;

export class TaskHarness {
  readonly task: StreamTask;
  readonly vertex: JobVertex;
  readonly inputs: UpstreamChannel[] = [];
  readonly outputs: DownstreamChannel[] = [];
  readonly messages: TaskThreadMessage[] = [];
  readonly lines: string[] = [];
  readonly results: unknown[] = [];
  readonly stateDir: string;
  outcome: StreamTaskOutcome | undefined;
  error: unknown;
  private running: Promise<void> | undefined;

  constructor(options: TaskHarnessOptions) {
    const graph = buildStreamGraph(defineJob('harness', options.build), {}, options.settings ?? {});
    const jobGraph = createJobGraph(graph);
    const vertex = jobGraph.vertices.find(options.vertex ?? (() => true));
    if (!vertex) throw new Error('the harness job has no such vertex');
    this.vertex = vertex;
    const ports = new Map<string, MessagePort>();
    const perInput = options.channelsPerInput ?? 1;
    const inputs = jobGraph.edges
      .filter((e) => e.targetVertex === vertex.id)
      .map((edge) => {
        const channels = Array.from({ length: perInput }, (_, i) => `${edge.id}/in-${i}`);
        for (const id of channels) {
          const { port1, port2 } = new MessageChannel();
          ports.set(id, port2);
          this.inputs.push(new UpstreamChannel(id, port1));
        }
        return {
          edgeId: edge.id,
          targetOperator: edge.targetOperator,
          targetInput: edge.targetInput,
          channels,
        };
      });
    const outputs = jobGraph.edges
      .filter((e) => e.sourceVertex === vertex.id)
      .map((edge) => {
        const id = `${edge.id}/out-0`;
        const { port1, port2 } = new MessageChannel();
        ports.set(id, port2);
        this.outputs.push(
          new DownstreamChannel(id, port1, options.outputCredit ?? 1_000_000, options.holdOutputCredit),
        );
        return {
          edgeId: edge.id,
          sourceOperator: edge.sourceOperator,
          partitioner: edge.partitioner,
          targetMaxParallelism: edge.targetMaxParallelism,
          channels: [id],
        };
      });
    const tdd: TaskDeploymentDescriptor = {
      jobId: 'harness-job',
      jobName: 'harness',
      attempt: 0,
      code: {
        modulePath: 'in-thread',
        args: {},
        buildSettings: {} as JobSettings,
        graphHash: jobGraph.graphHash,
      },
      vertexId: vertex.id,
      vertexName: vertex.name,
      subtaskIndex: options.subtaskIndex ?? 0,
      parallelism: vertex.parallelism,
      inputs,
      outputs,
      network: { bufferTimeoutMs: 0, bufferSizeBytes: 32 * 1024, initialCredit: options.initialCredit ?? 8 },
      ...(options.checkpointing ? { checkpointing: options.checkpointing } : {}),
    };
    this.stateDir = mkdtempSync(join(tmpdir(), 'sluice-harness-'));
    const reporter: TaskReporter = {
      output: (line) => this.lines.push(line),
      result: (value) => this.results.push(value),
      send: (message) => this.messages.push(message),
    };
    const state = {
      backend: 'heap' as const,
      localDir: this.stateDir,
      kvCacheBytes: 1024 * 1024,
      taskDir: join(this.stateDir, 'task'),
    };
    this.task = new StreamTask(tdd, graph, vertex, ports, reporter, state, {
      taskManagerId: 'harness',
      ...(options.restore ? { restore: options.restore } : {}),
    });
  }

  /** Starts the task; `outcome` or `error` is set when it ends. */
  start(): this {
    this.running = this.task.run().then(
      (outcome) => void (this.outcome = outcome),
      (err: unknown) => void (this.error = err),
    );
    return this;
  }

  control(message: TaskControlMessage): void {
    this.task.control(message);
  }

  trigger(checkpointId: number, timestamp = Date.now()): void {
    this.control({ type: 'trigger-checkpoint', checkpointId, timestamp });
  }

  acks(): Ack[] {
    return this.messages.filter((m): m is Ack => m.type === 'checkpoint-ack');
  }

  async ack(checkpointId: number): Promise<Ack> {
    await this.until(
      () => this.acks().some((a) => a.checkpointId === checkpointId),
      `ack of ${checkpointId}`,
    );
    return this.acks().find((a) => a.checkpointId === checkpointId)!;
  }

  declined(): number[] {
    return this.messages.flatMap((m) => (m.type === 'checkpoint-declined' ? [m.checkpointId] : []));
  }

  /** Polls `condition`, failing with the task's own error if it failed meanwhile. */
  // 30 s: a task thread on a loaded CI machine (2 shared cores, jest workers beside it) can take
  // more than 10 s to get a barrier through 200,000 records (a CI run failed so).
  async until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(() => this.error !== undefined || condition(), { what, intervalMs: 2, timeoutMs });
    if (this.error) throw this.error;
  }

  /** Waits for the task to end; rethrows its failure. */
  async ended(): Promise<StreamTaskOutcome> {
    await this.running;
    if (this.error) throw this.error;
    return this.outcome!;
  }

  /** Cancels the task if it still runs, closes every port and removes the state directory. */
  async dispose(): Promise<void> {
    if (this.running && this.outcome === undefined && this.error === undefined) {
      this.control({ type: 'cancel' });
      await this.running;
    }
    for (const c of [...this.inputs, ...this.outputs]) c.close();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** The task's ack turned into the bytes a restored task receives (same parallelism, one subtask). */
export function restoreFrom(ack: Ack, parallelism = 1): TaskRestoreState {
  const operators: Record<string, { keyed: Uint8Array[]; operator: Uint8Array[]; parallelism: number }> = {};
  for (const [id, bytes] of Object.entries(ack.operators)) {
    operators[id] = {
      keyed: bytes.keyed ? [bytes.keyed] : [],
      operator: bytes.operator ? [bytes.operator] : [],
      parallelism,
    };
  }
  return { checkpointId: ack.checkpointId, operators };
}
