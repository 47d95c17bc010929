import type { MessagePort } from 'node:worker_threads';
import type { SourceOperator } from '../api/operators/source-sink-operators';
import type { JobVertex } from '../graph/job-graph';
import type { StreamGraph } from '../graph/stream-graph';
import type { DownstreamMessage, UpstreamMessage } from '../network/channel-protocol';
import { OutputChannel } from '../network/output-channel';
import { decodeBatch } from '../network/record-batch-codec';
import { RecordWriter } from '../network/record-writer';
import type { TaskStateSettings } from '../state/state-backend-factory';
import type { S3PathAccess } from '../storage/s3-path';
import type { ChainMember, OperatorInput } from './operator-chain';
import { OperatorChain, attributeError } from './operator-chain';
import type { TaskDeploymentDescriptor } from '../deployment/task-deployment';
import type { TaskReporter } from './task-reporter';
import type { TaskMetrics } from '../deployment/execution-state';

interface InputChannelState {
  readonly port: MessagePort;
  readonly gate: { readonly target: OperatorInput; open: number };
}

const SOURCE_SLICE_MS = 5;
const INPUT_BUFFERS_PER_TURN = 64;
/** A turn of input ends after this long, so timers (metrics, flushes) run behind a slow operator. */
const INPUT_SLICE_MS = 5;

/**
 * Runs one subtask of a chain inside a task thread, mailbox style: everything happens on the
 * thread's event loop — input buffers arriving, sources being polled, credits returning — and
 * nothing runs concurrently. While any output channel has a backlog (no credit), the task pulls
 * no input and polls no source: that is how backpressure reaches the sources.
 */
export class StreamTask {
  private readonly chain: OperatorChain;
  private readonly outputs: OutputChannel[] = [];
  private readonly writers: RecordWriter[] = [];
  private readonly inputs: InputChannelState[] = [];
  private readonly pending: [InputChannelState, DownstreamMessage][] = [];
  private readonly activeSources: ChainMember[];
  private backlogged = 0;
  private backlogSince = 0;
  private backPressuredMs = 0;
  /** Time spent processing input and polling sources, sampled per turn (not per record). */
  private busyMs = 0;
  private runningSince = 0;
  private recordsIn = 0;
  private state: 'created' | 'running' | 'finishing' | 'done' = 'created';
  private drainScheduled = false;
  private pollScheduled = false;
  private timers: NodeJS.Timeout[] = [];
  private settle!: { resolve: () => void; reject: (err: unknown) => void };

  constructor(
    private readonly tdd: TaskDeploymentDescriptor,
    graph: StreamGraph,
    vertex: JobVertex,
    ports: ReadonlyMap<string, MessagePort>,
    private readonly reporter: TaskReporter,
    state: TaskStateSettings,
    /** The TaskManager running this task, named in connectors' error messages. */
    taskManagerId = 'embedded',
    /** `s3://` access for connectors, through the TaskManager. */
    s3?: S3PathAccess,
  ) {
    const keySelectors = new Map(graph.edges.map((e) => [e.id, e.keySelector]));
    const writersByOperator = new Map<string, RecordWriter[]>();
    const perRecord = tdd.network.bufferTimeoutMs === 0;
    for (const out of tdd.outputs) {
      const channels = out.channels.map(
        (id) =>
          new OutputChannel(id, portOf(ports, id), {
            bufferSizeBytes: tdd.network.bufferSizeBytes,
            recordsPerBuffer: perRecord ? 1 : undefined,
            onBacklogChange: (b) => this.onBacklogChange(b),
          }),
      );
      this.outputs.push(...channels);
      const writer = new RecordWriter(
        channels,
        out.partitioner,
        keySelectors.get(out.edgeId),
        out.targetMaxParallelism,
        tdd.subtaskIndex,
      );
      this.writers.push(writer);
      writersByOperator.set(out.sourceOperator, [
        ...(writersByOperator.get(out.sourceOperator) ?? []),
        writer,
      ]);
    }
    const networkFeeders = new Map<string, number>();
    for (const gate of tdd.inputs) {
      const key = `${gate.targetOperator}#${gate.targetInput}`;
      networkFeeders.set(key, (networkFeeders.get(key) ?? 0) + 1);
    }
    const runtime = {
      subtaskIndex: tdd.subtaskIndex,
      parallelism: tdd.parallelism,
      taskManagerId,
      sinkContext: {
        emitOutput: (line: string) => reporter.output(line),
        emitResult: (v: unknown) => reporter.result(v),
      },
      connector: { jobId: tdd.jobId, ...(s3 ? { s3 } : {}) },
      writersByOperator,
      networkFeeders,
      state,
    };
    this.chain = new OperatorChain(graph, vertex, runtime, () => void this.finishTask());
    for (const gate of tdd.inputs) {
      const gateState = {
        target: this.chain.input(gate.targetOperator, gate.targetInput),
        open: gate.channels.length,
      };
      for (const id of gate.channels) this.inputs.push({ port: portOf(ports, id), gate: gateState });
    }
    this.activeSources = [...this.chain.sources];
    // Output to the client is bounded too: while it is backlogged the task pauses like under network back pressure.
    reporter.onBacklogChange?.((backlogged) => this.onBacklogChange(backlogged));
  }

  /** Runs the task to its end. Rejects with the failure, attributed to an operator where possible. */
  async run(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    try {
      await this.chain.open();
    } catch (err) {
      // The open failure is the one to report; the executor removes the state directory anyway.
      await this.chain.disposeState().catch(() => undefined);
      throw err;
    }
    this.state = 'running';
    this.runningSince = performance.now();
    this.startTimers();
    for (const input of this.inputs) {
      input.port.on('message', (m: DownstreamMessage) => this.onInput(input, m));
      send(input.port, { t: 'credit', n: this.tdd.network.initialCredit });
    }
    this.schedulePoll();
    return done;
  }

  /** Counters for metrics; the idle time is what is neither busy nor back-pressured. */
  metrics(): TaskMetrics {
    const now = performance.now();
    const runningMs = this.runningSince > 0 ? now - this.runningSince : 0;
    const backPressuredMs = this.backPressuredMs + (this.backlogged > 0 ? now - this.backlogSince : 0);
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
      runningMs,
      busyMs: this.busyMs,
      idleMs: Math.max(0, runningMs - this.busyMs - backPressuredMs),
      backPressuredMs,
      operators,
    };
  }

  private get blocked(): boolean {
    return this.backlogged > 0 || this.state !== 'running';
  }

  private onInput(input: InputChannelState, message: DownstreamMessage): void {
    this.pending.push([input, message]);
    // Processed in a turn of its own, never inside the port's delivery loop: Node delivers up to
    // 1000 queued messages in one go, which behind a slow operator would starve every timer.
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.blocked) return;
    this.drainScheduled = true;
    setImmediate(() => this.drainInputs());
  }

  private drainInputs(): void {
    this.drainScheduled = false;
    const started = performance.now();
    const deadline = started + INPUT_SLICE_MS;
    try {
      for (
        let turn = 0;
        turn < INPUT_BUFFERS_PER_TURN &&
        this.pending.length > 0 &&
        !this.blocked &&
        performance.now() < deadline;
        turn++
      ) {
        const [input, message] = this.pending.shift()!;
        this.process(input, message);
      }
    } catch (err) {
      this.fail(err);
      return;
    } finally {
      this.busyMs += performance.now() - started;
    }
    if (this.pending.length > 0) this.scheduleDrain();
  }

  private process(input: InputChannelState, message: DownstreamMessage): void {
    if (message.t === 'data') {
      const records = decodeBatch(message.buf);
      this.recordsIn += records.length;
      const target = input.gate.target;
      for (let i = 0; i < records.length; i++) target.collect(records[i]);
      send(input.port, { t: 'credit', n: 1 });
    } else if (message.e.kind === 'end-of-partition') {
      send(input.port, { t: 'eop-ack' });
      if (--input.gate.open === 0) this.chain.feederEnded(input.gate.target.member, input.gate.target.input);
    }
    // Barriers and watermarks arrive with checkpointing and event time.
  }

  private schedulePoll(): void {
    if (this.pollScheduled || this.activeSources.length === 0) return;
    this.pollScheduled = true;
    setImmediate(() => this.pollSources());
  }

  private pollSources(): void {
    this.pollScheduled = false;
    const started = performance.now();
    const deadline = started + SOURCE_SLICE_MS;
    try {
      while (!this.blocked && this.activeSources.length > 0 && performance.now() < deadline) {
        for (const member of [...this.activeSources]) this.pollOnce(member);
      }
    } catch (err) {
      this.fail(err);
      return;
    } finally {
      this.busyMs += performance.now() - started;
    }
    if (!this.blocked) this.schedulePoll();
  }

  private pollOnce(member: ChainMember): void {
    const source = member.operator as SourceOperator<unknown>;
    let status;
    try {
      status = source.poll();
    } catch (err) {
      throw attributeError(err, member.node);
    }
    if (status === 'more') return;
    this.activeSources.splice(this.activeSources.indexOf(member), 1);
    if (status === 'end') {
      this.chain.sourceEnded(member);
    } else {
      const available = source.reader.isAvailable?.() ?? new Promise<void>((r) => setTimeout(r, 10));
      available.then(
        () => {
          this.activeSources.push(member);
          this.schedulePoll();
        },
        (err: unknown) => this.fail(attributeError(err, member.node)),
      );
    }
  }

  private onBacklogChange(backlogged: boolean): void {
    if (backlogged && this.backlogged++ === 0) this.backlogSince = performance.now();
    if (!backlogged && --this.backlogged === 0) {
      this.backPressuredMs += performance.now() - this.backlogSince;
      this.schedulePoll();
      this.scheduleDrain();
    }
  }

  private startTimers(): void {
    const { bufferTimeoutMs } = this.tdd.network;
    if (bufferTimeoutMs > 0 && this.outputs.length > 0) {
      this.timers.push(setInterval(() => this.outputs.forEach((o) => o.flush()), bufferTimeoutMs));
    }
  }

  private async finishTask(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'finishing';
    try {
      for (const output of this.outputs) output.sendEvent({ kind: 'end-of-partition' });
      await Promise.all(this.outputs.map((o) => o.whenEndAcknowledged()));
      await this.chain.close();
      this.cleanup();
      this.settle.resolve();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (this.state === 'done') return;
    this.cleanup();
    // The task's failure is what gets reported; if freeing state fails too, the task executor
    // still removes the task's state directory when the thread exits.
    void this.chain.disposeState().then(
      () => this.settle.reject(err),
      () => this.settle.reject(err),
    );
  }

  private cleanup(): void {
    this.state = 'done';
    this.timers.forEach(clearInterval);
    this.timers = [];
    for (const input of this.inputs) input.port.close();
    for (const output of this.outputs) output.close();
  }
}

function portOf(ports: ReadonlyMap<string, MessagePort>, id: string): MessagePort {
  const port = ports.get(id);
  if (!port) throw new Error(`no port was provided for channel ${id}`);
  return port;
}

function send(port: MessagePort, message: UpstreamMessage): void {
  port.postMessage(message);
}
