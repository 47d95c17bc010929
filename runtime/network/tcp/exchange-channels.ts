import type { MessagePort } from 'node:worker_threads';
import type { DownstreamMessage, UpstreamMessage } from '../channel-protocol';
import type { PeerLink } from './peer-link';

// Shared with the other transports; re-exported so the TCP modules keep one import site.
export { isDownstreamMessage, isUpstreamMessage, postDownstream } from '../channel-messages';

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

/** Holds an upstream message until the channel is bound; consecutive credits merge into one. */
export function holdUpstream(channel: ConsumerChannel, message: UpstreamMessage): void {
  const last = channel.held[channel.held.length - 1];
  if (message.t === 'credit' && last?.t === 'credit') last.n += message.n;
  else channel.held.push(message.t === 'credit' ? { t: 'credit', n: message.n } : message);
}
