import type { MessagePort } from 'node:worker_threads';
import type { DownstreamMessage, UpstreamMessage } from '../channel-protocol';
import type { ChannelOutbox } from './channel-outbox';
import type { OutboundQueue } from './outbound-queue';
import type { QueuePoller } from './queue-poller';

/** A channel whose producer task is local: its port's messages go to the downstream queue. */
export interface ProducerChannel {
  readonly id: string;
  readonly port: MessagePort;
  /** Downstream messages waiting for / in SendMessageBatch. */
  readonly out: ChannelOutbox;
  readonly queue: OutboundQueue;
  /** Polls the upstream queue this channel's credits and eop-ack arrive on. */
  readonly poller: QueuePoller;
  readonly onMessage: (message: unknown) => void;
  readonly onClose: () => void;
  /** Sequence number of the next upstream message expected (smaller ones are duplicates). */
  upNext: number;
  /** False once lost: port messages are then read and dropped. */
  open: boolean;
  /** Not reading the port: too many bytes wait to be sent. */
  paused: boolean;
  /** The task closed its port; the channel goes once its outbox is empty. */
  closing: boolean;
  eopAcked: boolean;
}

/**
 * A channel whose consumer task is local. Exists without a port when messages arrive before
 * the task registers (held in `inbox`, bounded by the exchange's `maxHeldBytes`).
 */
export interface ConsumerChannel {
  readonly id: string;
  port: MessagePort | undefined;
  onMessage: ((message: unknown) => void) | undefined;
  onClose: (() => void) | undefined;
  /** Upstream messages (credits, eop-ack) waiting for / in SendMessageBatch. */
  out: ChannelOutbox | undefined;
  queue: OutboundQueue | undefined;
  /** Polls the downstream queue of this channel (set on registration). */
  poller: QueuePoller | undefined;
  /** Sequence number of the next downstream message expected. */
  downNext: number;
  /** Pieces of a data buffer split over several SQS messages. */
  fragments: Buffer[];
  inbox: DownstreamMessage[];
  inboxBytes: number;
  open: boolean;
  closing: boolean;
  /** End-of-partition was delivered: the channel finished cleanly. */
  eopSeen: boolean;
}

/** Upstream messages for a producer channel that is not connected yet. */
export interface EarlyUpstream {
  upNext: number;
  readonly messages: UpstreamMessage[];
}

export function newConsumerChannel(id: string): ConsumerChannel {
  return {
    id,
    port: undefined,
    onMessage: undefined,
    onClose: undefined,
    out: undefined,
    queue: undefined,
    poller: undefined,
    downNext: 0,
    fragments: [],
    inbox: [],
    inboxBytes: 0,
    open: true,
    closing: false,
    eopSeen: false,
  };
}

/** Posts a credit or eop-ack into a producer task's port. */
export function postUpstream(channel: ProducerChannel, message: UpstreamMessage): void {
  if (message.t === 'eop-ack') channel.eopAcked = true;
  channel.port.postMessage(message);
}

export function isEndOfPartition(message: DownstreamMessage): boolean {
  return message.t === 'event' && message.e.kind === 'end-of-partition';
}

export interface SqsExchangeStats {
  producerChannels: number;
  consumerChannels: number;
  /** Inbound queues being long-polled. */
  pollers: number;
  /** Queues this exchange sends to. */
  outboundQueues: number;
  /** SendMessageBatch calls in flight now, and the most seen at once. */
  inFlightSends: number;
  peakInFlightSends: number;
  sendCalls: number;
  messagesSent: number;
  bytesSent: number;
  /** Data buffers of producer tasks that SQS accepted. */
  buffersSent: number;
  entriesRetried: number;
  receiveCalls: number;
  messagesReceived: number;
  bytesReceived: number;
  deleteCalls: number;
  deleteFailures: number;
  /** Redelivered messages dropped by sequence number. */
  duplicatesDropped: number;
  /** Messages of released channels or attempts, dropped. */
  staleDropped: number;
  /** Messages read from a lost channel's port, dropped. */
  droppedOutbound: number;
  /** Bodies that were not exchange envelopes, or sat on the wrong queue. */
  malformedDropped: number;
  /** Producer ports not being read because too much waits to be sent. */
  pausedChannels: number;
  /** Times a producer port was paused so far. */
  portPauses: number;
  /** Encoded bytes of producer channels not yet accepted by SQS. */
  unsentBytes: number;
  /** Bytes held for consumer channels not registered yet. */
  heldBytes: number;
  queuesDeleted: number;
}
