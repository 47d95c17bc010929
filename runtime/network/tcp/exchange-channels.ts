import type { MessagePort } from 'node:worker_threads';
import type { DownstreamMessage, UpstreamMessage } from '../channel-protocol';
import type { PeerLink } from './peer-link';

/** Rough size of a held non-data message, for the held-bytes bound. */
const EVENT_WEIGHT_BYTES = 64;

/** The producer end of a remote channel: local task port -> peer. */
export interface ProducerChannel {
  readonly id: string;
  readonly port: MessagePort;
  readonly link: PeerLink;
  readonly onMessage: (message: unknown) => void;
  readonly onClose: () => void;
  /** Not reading the port because the connection is congested. */
  paused: boolean;
  /** False once the link was lost or the consumer side released the channel. */
  open: boolean;
}

/**
 * The consumer end of a remote channel: peer -> local task port. Exists before registration
 * when frames arrive first (held in `inbox`), and before the first frame when the task
 * registers first (its upstream messages held in `held` until the producer's OPEN_CHANNEL
 * tells which connection the channel uses).
 */
export interface ConsumerChannel {
  readonly id: string;
  port: MessagePort | undefined;
  onMessage: ((message: unknown) => void) | undefined;
  onClose: (() => void) | undefined;
  link: PeerLink | undefined;
  inbox: DownstreamMessage[];
  inboxBytes: number;
  held: UpstreamMessage[];
  /** False once the link was lost. */
  open: boolean;
  /** The producer side released the channel; nothing more will arrive. */
  remoteClosed: boolean;
}

export function newConsumerChannel(id: string): ConsumerChannel {
  return {
    id,
    port: undefined,
    onMessage: undefined,
    onClose: undefined,
    link: undefined,
    inbox: [],
    inboxBytes: 0,
    held: [],
    open: true,
    remoteClosed: false,
  };
}

export function heldSize(message: DownstreamMessage): number {
  return message.t === 'data' ? message.buf.byteLength + EVENT_WEIGHT_BYTES : EVENT_WEIGHT_BYTES;
}

/** Posts a downstream message into a task's port, transferring a data buffer (no copy). */
export function postDownstream(port: MessagePort, message: DownstreamMessage): void {
  if (message.t === 'data') port.postMessage(message, [message.buf]);
  else port.postMessage(message);
}

/** Holds an upstream message until the channel is bound; consecutive credits merge into one. */
export function holdUpstream(channel: ConsumerChannel, message: UpstreamMessage): void {
  const last = channel.held[channel.held.length - 1];
  if (message.t === 'credit' && last?.t === 'credit') last.n += message.n;
  else channel.held.push(message.t === 'credit' ? { t: 'credit', n: message.n } : message);
}

/** A message a producer task may post, checked because it crossed a thread boundary. */
export function isDownstreamMessage(value: unknown): value is DownstreamMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Partial<Record<'t' | 'buf' | 'n' | 'e', unknown>>;
  if (message.t === 'data') return message.buf instanceof ArrayBuffer && typeof message.n === 'number';
  return message.t === 'event' && typeof message.e === 'object' && message.e !== null;
}

export function isUpstreamMessage(value: unknown): value is UpstreamMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Partial<Record<'t' | 'n', unknown>>;
  return (message.t === 'credit' && Number.isSafeInteger(message.n)) || message.t === 'eop-ack';
}
