import type { MessagePort } from 'node:worker_threads';
import { NetworkError, SluiceError, describeError } from '../../errors';
import type { Logger } from '../../util/logger';
import type { UpstreamMessage } from '../channel-protocol';
import { detachPort } from '../channel-messages';
import type { ConsumerChannel, ProducerChannel } from './exchange-channels';
import {
  heldSize,
  holdUpstream,
  isDownstreamMessage,
  isUpstreamMessage,
  newConsumerChannel,
  postDownstream,
} from './exchange-channels';
import { FrameType, encodeControlFrame } from '../../wire/frame-codec';
import type { Frame } from '../../wire/frame-codec';
import { decodeChannelMessage, encodeChannelMessage } from './channel-frames';
import type { PeerLink } from './peer-link';
import { ReleasedChannels } from '../released-channels';
import { FrameFormatError } from '../../wire/wire-errors';

export interface ChannelRouterConfig {
  maxFrameBytes: number;
  /** Bound on downstream bytes held for consumer channels not registered yet. */
  maxHeldBytes: number;
}

/**
 * The channel table of a TcpExchange: which local port each channel id belongs to, which peer
 * link it uses, and the messages held while one side is not known yet. Relays port messages to
 * links and link frames to ports. Frames for released or unknown-and-released ids are stale and
 * counted per peer. Errors thrown from `onFrame` mean the peer broke the protocol; the caller
 * closes that connection.
 */
export class ChannelRouter {
  private readonly producers = new Map<string, ProducerChannel>();
  private readonly consumers = new Map<string, ConsumerChannel>();
  private readonly released = new ReleasedChannels();
  private heldBytes = 0;

  constructor(
    private readonly config: ChannelRouterConfig,
    private readonly logger: Logger,
    private readonly channelFailed: (channelId: string, error: SluiceError) => void,
  ) {}

  get producerCount(): number {
    return this.producers.size;
  }

  get registeredConsumerCount(): number {
    let count = 0;
    for (const channel of this.consumers.values()) if (channel.port) count++;
    return count;
  }

  get heldByteCount(): number {
    return this.heldBytes;
  }

  /** Throws if `channelId` already has a local port here. */
  assertFree(channelId: string): void {
    if (this.producers.has(channelId) || this.consumers.get(channelId)?.port) {
      throw new SluiceError(
        'SLUICE_CONFLICT',
        `channel '${channelId}' is already routed by this TaskManager`,
      );
    }
  }

  /** See TcpExchange.connectProducerChannel. `link` must be connecting or connected. */
  addProducer(channelId: string, port: MessagePort, link: PeerLink): void {
    this.released.forget(channelId);
    const channel: ProducerChannel = {
      id: channelId,
      port,
      link,
      onMessage: (message) => this.relayDownstream(channel, message),
      onClose: () => this.releaseIfCurrent(channelId, port),
      paused: true,
      open: true,
    };
    this.producers.set(channelId, channel);
    link.channels.add(channelId);
    link.send([encodeControlFrame(FrameType.OPEN_CHANNEL, channelId, this.config.maxFrameBytes)]);
    port.on('close', channel.onClose);
    if (!link.conn?.isCongested) resumeProducer(channel);
  }

  /** See TcpExchange.registerConsumerChannel. */
  addConsumer(channelId: string, port: MessagePort): void {
    this.released.forget(channelId);
    let channel = this.consumers.get(channelId);
    if (!channel) {
      channel = newConsumerChannel(channelId);
      this.consumers.set(channelId, channel);
    }
    const bound = channel;
    bound.port = port;
    bound.onMessage = (message) => this.relayUpstream(bound, message);
    bound.onClose = () => this.releaseIfCurrent(channelId, port);
    // Held messages first, synchronously: nothing newer can be posted in between.
    for (const message of bound.inbox) postDownstream(port, message);
    this.heldBytes -= bound.inboxBytes;
    bound.inbox = [];
    bound.inboxBytes = 0;
    if (bound.remoteClosed) bound.link?.channels.delete(channelId);
    port.on('message', bound.onMessage);
    port.on('close', bound.onClose);
  }

  /** See TcpExchange.releaseChannel. */
  release(channelId: string): void {
    const producer = this.producers.get(channelId);
    if (producer) {
      this.producers.delete(channelId);
      detachPort(producer.port, producer.onMessage, producer.onClose);
      producer.link.channels.delete(channelId);
      if (producer.open) this.sendClose(producer.link, channelId);
    }
    const consumer = this.consumers.get(channelId);
    if (consumer) {
      this.consumers.delete(channelId);
      this.heldBytes -= consumer.inboxBytes;
      if (consumer.port) detachPort(consumer.port, consumer.onMessage, consumer.onClose);
      consumer.link?.channels.delete(channelId);
      if (consumer.link && consumer.open && !consumer.remoteClosed) this.sendClose(consumer.link, channelId);
    }
    this.released.add(channelId);
  }

  /** See TcpExchange.releaseChannelsWithPrefix. */
  releasePrefix(prefix: string): void {
    this.released.addPrefix(prefix);
    const ids = [...this.producers.keys(), ...this.consumers.keys()].filter((id) => id.startsWith(prefix));
    for (const id of ids) this.release(id);
  }

  /**
   * The link's connection is gone: its channels are dead. Producers keep draining their port
   * (messages dropped and counted) until released; consumers not registered yet are dropped
   * with what they held. Returns the affected channel ids.
   */
  linkLost(link: PeerLink): string[] {
    const channelIds = [...link.channels];
    link.channels.clear();
    for (const id of channelIds) {
      const producer = this.producers.get(id);
      if (producer) {
        producer.open = false;
        resumeProducer(producer);
      }
      const consumer = this.consumers.get(id);
      if (consumer?.port) consumer.open = false;
      else if (consumer) this.release(id);
    }
    return channelIds;
  }

  /** Stops (or resumes) reading the producer ports of `link` while its socket is congested. */
  setPaused(link: PeerLink, paused: boolean): void {
    for (const id of link.channels) {
      const producer = this.producers.get(id);
      if (!producer) continue;
      if (paused) pauseProducer(producer);
      else resumeProducer(producer);
    }
  }

  /** Closes every port and forgets every channel (shutdown). */
  closeAll(): void {
    for (const channel of this.producers.values())
      detachPort(channel.port, channel.onMessage, channel.onClose);
    for (const channel of this.consumers.values()) {
      if (channel.port) detachPort(channel.port, channel.onMessage, channel.onClose);
    }
    this.producers.clear();
    this.consumers.clear();
    this.heldBytes = 0;
  }

  /** A channel frame from the link's active connection. Throws on a protocol violation. */
  onFrame(link: PeerLink, frame: Frame): void {
    switch (frame.type) {
      case FrameType.OPEN_CHANNEL:
        this.consumerFor(link, frame.channelId);
        return;
      case FrameType.DATA:
      case FrameType.EVENT:
        return this.onDownstreamFrame(link, frame);
      case FrameType.CREDIT:
      case FrameType.EOP_ACK:
        return this.onUpstreamFrame(link, frame);
      case FrameType.CLOSE_CHANNEL:
        return this.onRemoteClose(link, frame.channelId);
    }
  }

  private relayDownstream(channel: ProducerChannel, message: unknown): void {
    if (!channel.open) {
      channel.link.counters.droppedOutboundFrames++;
      return;
    }
    if (!isDownstreamMessage(message)) {
      return this.fail(
        channel,
        new FrameFormatError(`producer of '${channel.id}' posted an invalid message`),
      );
    }
    let frame: Buffer[];
    try {
      frame = encodeChannelMessage(channel.id, message, this.config.maxFrameBytes);
    } catch (err) {
      return this.fail(channel, err instanceof SluiceError ? err : new FrameFormatError(describeError(err)));
    }
    if (!channel.link.send(frame)) channel.link.counters.droppedOutboundFrames++;
  }

  private relayUpstream(channel: ConsumerChannel, message: unknown): void {
    if (!isUpstreamMessage(message)) {
      this.logger.warn({ channel: channel.id }, 'consumer posted an invalid upstream message; dropped');
      return;
    }
    if (!channel.link) return holdUpstream(channel, message);
    if (!channel.open || channel.remoteClosed || !this.sendUpstream(channel.link, channel.id, message)) {
      channel.link.counters.droppedOutboundFrames++;
    }
  }

  private sendUpstream(link: PeerLink, channelId: string, message: UpstreamMessage): boolean {
    return link.send(encodeChannelMessage(channelId, message, this.config.maxFrameBytes));
  }

  private sendClose(link: PeerLink, channelId: string): void {
    link.send([encodeControlFrame(FrameType.CLOSE_CHANNEL, channelId, this.config.maxFrameBytes)]);
  }

  private fail(channel: ProducerChannel, error: SluiceError): void {
    channel.open = false;
    channel.link.channels.delete(channel.id);
    this.logger.error({ channel: channel.id, err: error }, 'channel failed');
    this.channelFailed(channel.id, error);
  }

  /** The consumer channel a frame from `link` belongs to: created (to hold) or bound if needed. */
  private consumerFor(link: PeerLink, channelId: string): ConsumerChannel | undefined {
    let channel = this.consumers.get(channelId);
    if (!channel) {
      if (this.producers.has(channelId) || this.released.has(channelId)) {
        link.counters.droppedStaleFrames++;
        return undefined;
      }
      channel = newConsumerChannel(channelId);
      this.consumers.set(channelId, channel);
    }
    if (!channel.link) {
      channel.link = link;
      link.channels.add(channelId);
      for (const message of channel.held) this.sendUpstream(link, channelId, message);
      channel.held = [];
    } else if (channel.link !== link || !channel.open) {
      link.counters.droppedStaleFrames++;
      return undefined;
    }
    return channel;
  }

  private onDownstreamFrame(link: PeerLink, frame: Frame): void {
    const channel = this.consumerFor(link, frame.channelId);
    if (!channel) return;
    const message = decodeChannelMessage(frame);
    if (message.t !== 'data' && message.t !== 'event')
      throw new FrameFormatError('upstream message in a downstream frame');
    if (channel.port) return postDownstream(channel.port, message);
    const size = heldSize(message);
    channel.inbox.push(message);
    channel.inboxBytes += size;
    this.heldBytes += size;
    if (this.heldBytes > this.config.maxHeldBytes) {
      // Credits bound what a well-behaved producer sends; fail loudly rather than grow.
      throw new NetworkError(
        `more than ${this.config.maxHeldBytes} bytes held for unregistered consumer channels`,
        {
          retryable: false,
        },
      );
    }
  }

  private onUpstreamFrame(link: PeerLink, frame: Frame): void {
    const channel = this.producers.get(frame.channelId);
    if (!channel || channel.link !== link || !channel.open) {
      link.counters.droppedStaleFrames++;
      return;
    }
    channel.port.postMessage(decodeChannelMessage(frame));
  }

  private onRemoteClose(link: PeerLink, channelId: string): void {
    const producer = this.producers.get(channelId);
    if (producer?.link === link) {
      producer.open = false;
      link.channels.delete(channelId);
    }
    const consumer = this.consumers.get(channelId);
    if (consumer?.link === link) {
      consumer.remoteClosed = true;
      // Held messages still wait for registration; a registered channel needs the link no more.
      if (consumer.port) link.channels.delete(channelId);
    }
  }

  private releaseIfCurrent(channelId: string, port: MessagePort): void {
    if (this.producers.get(channelId)?.port === port || this.consumers.get(channelId)?.port === port) {
      this.release(channelId);
    }
  }
}

function pauseProducer(channel: ProducerChannel): void {
  if (channel.paused) return;
  channel.paused = true;
  // Without a 'message' listener the port stops dispatching; messages wait in it, in order.
  channel.port.off('message', channel.onMessage);
}

function resumeProducer(channel: ProducerChannel): void {
  if (!channel.paused) return;
  channel.paused = false;
  channel.port.on('message', channel.onMessage);
}
