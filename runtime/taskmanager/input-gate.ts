import type { MessagePort } from 'node:worker_threads';
import type { DownstreamMessage, UpstreamMessage } from '../network/channel-protocol';
import type { OperatorInput } from './chain-member';
import type { BarrierHandlerActions } from './checkpoint-barrier-handler';
import type { SourceInputs } from './source-inputs';

/** The network channels feeding one logical operator input (one job edge's gate). */
export interface InputGroup {
  readonly target: OperatorInput;
  /** Channels of the group that have not ended yet. */
  open: number;
  /**
   * A channel of the group was stopped by a stop-with-savepoint without drain: the operator
   * input does not end when the last channel is through (the job is suspended, not ended).
   */
  stopped?: boolean;
}

/** The consumer end of one network channel, with its own queue of unprocessed messages. */
export interface InputChannel {
  /** Position in the gate; barrier alignment refers to channels by it. */
  readonly index: number;
  readonly id: string;
  readonly port: MessagePort;
  readonly group: InputGroup;
  readonly queue: DownstreamMessage[];
  /** Held channels keep their messages queued (and so return no credit): barrier alignment. */
  held: boolean;
  /** No more records come (end-of-data or end-of-partition arrived): the task took note (see `TaskEnding`). */
  dataEnded: boolean;
  /** End-of-partition arrived: the channel is closed for good, barriers included. */
  ended: boolean;
  /** Whether the channel is in the gate's queue of channels with processable messages. */
  queued: boolean;
  /** Credit for buffers processed in this turn, returned in one message at its end. */
  pendingCredit: number;
}

/**
 * The task's network input (Flink's InputGate): one queue per channel and a queue of the
 * channels that have messages to process, served in turn. A channel can be held, which
 * leaves its messages queued until it is released; since credit returns only when a data
 * buffer is processed, a held channel's producer soon stops sending (no buffers pile up).
 */
export class InputGate {
  readonly channels: InputChannel[] = [];
  private readonly ready: InputChannel[] = [];
  /** Channels with credit to return (see `returnCredit`). */
  private readonly owing: InputChannel[] = [];
  private allEndedWaiter: (() => void) | undefined;

  /** `onAvailable` is called whenever a message becomes processable. */
  constructor(private readonly onAvailable: () => void) {}

  add(id: string, port: MessagePort, group: InputGroup): InputChannel {
    const channel: InputChannel = {
      index: this.channels.length,
      id,
      port,
      group,
      queue: [],
      held: false,
      dataEnded: false,
      ended: false,
      queued: false,
      pendingCredit: 0,
    };
    this.channels.push(channel);
    return channel;
  }

  /** Starts listening and grants every channel its initial credit. */
  start(initialCredit: number): void {
    for (const channel of this.channels) {
      channel.port.on('message', (m: DownstreamMessage) => this.onMessage(channel, m));
      send(channel.port, { t: 'credit', n: initialCredit });
    }
  }

  /** Whether a message can be taken now. */
  get hasInput(): boolean {
    return this.ready.length > 0;
  }

  /** The next processable message, channels taking turns; undefined when none. */
  next(): [InputChannel, DownstreamMessage] | undefined {
    while (this.ready.length > 0) {
      const channel = this.ready.shift()!;
      channel.queued = false;
      if (channel.held || channel.queue.length === 0) continue;
      const message = channel.queue.shift()!;
      this.enqueue(channel);
      return [channel, message];
    }
    return undefined;
  }

  hold(channel: InputChannel): void {
    channel.held = true;
  }

  releaseAll(): void {
    let released = false;
    for (const channel of this.channels) {
      if (!channel.held) continue;
      channel.held = false;
      released = this.enqueue(channel) || released;
    }
    if (released) this.onAvailable();
  }

  /**
   * The consumer processed `n` data buffers of the channel: the producer may send as many more.
   * The credit is held until `flushCredit` (the end of the task's turn of input), so a turn
   * that processed several buffers of a channel returns them in one message (and, across
   * TaskManagers, one frame) instead of one per buffer.
   */
  returnCredit(channel: InputChannel, n = 1): void {
    if (channel.pendingCredit === 0) this.owing.push(channel);
    channel.pendingCredit += n;
  }

  /** Sends every channel the credit its processed buffers earned since the last flush. */
  flushCredit(): void {
    for (const channel of this.owing) {
      const n = channel.pendingCredit;
      channel.pendingCredit = 0;
      if (!channel.ended) send(channel.port, { t: 'credit', n });
    }
    this.owing.length = 0;
  }

  /** Marks the channel ended and tells its producer, which may then release it. */
  end(channel: InputChannel): void {
    channel.ended = true;
    send(channel.port, { t: 'eop-ack' });
    if (this.allEnded) this.allEndedWaiter?.();
  }

  get allEnded(): boolean {
    return this.channels.every((c) => c.ended);
  }

  /** Resolves once end-of-partition arrived on every channel. */
  whenAllEnded(): Promise<void> {
    if (this.allEnded) return Promise.resolve();
    return new Promise((resolve) => (this.allEndedWaiter = resolve));
  }

  close(): void {
    for (const channel of this.channels) channel.port.close();
  }

  private onMessage(channel: InputChannel, message: DownstreamMessage): void {
    channel.queue.push(message);
    if (this.enqueue(channel)) this.onAvailable();
  }

  /** Puts a channel with processable messages in line; true when it was not already. */
  private enqueue(channel: InputChannel): boolean {
    if (channel.queued || channel.held || channel.queue.length === 0) return false;
    channel.queued = true;
    this.ready.push(channel);
    return true;
  }
}

function send(port: MessagePort, message: UpstreamMessage): void {
  port.postMessage(message);
}

/**
 * Holding and releasing a task's inputs during barrier alignment, numbered as the barrier
 * handler numbers them: the gate's channels, then (when the chain has sources) one input for
 * the sources.
 */
export function alignmentHolds(
  gate: InputGate,
  sources: SourceInputs | undefined,
): Pick<BarrierHandlerActions, 'hold' | 'releaseAll'> {
  const sourceInput = gate.channels.length;
  return {
    hold: (input) => {
      if (input === sourceInput) sources!.held = true;
      else gate.hold(gate.channels[input]!);
    },
    releaseAll: () => {
      gate.releaseAll();
      if (sources?.held) {
        sources.held = false;
        sources.schedule();
      }
    },
  };
}
