import type { Message } from '@aws-sdk/client-sqs';
import { NetworkError, SluiceError } from '../../errors';
import type { Logger } from '../../util/logger';
import { postDownstream } from '../channel-messages';
import type { DownstreamMessage } from '../channel-protocol';
import type { ReleasedChannels } from '../released-channels';
import type { Envelope } from './envelope-codec';
import { decodeDownstreamItem, decodeEnvelope, decodeUpstreamItem, heldBytes } from './envelope-codec';
import { queueFor } from './queue-names';
import type { QueuePoller } from './queue-poller';
import type { ConsumerChannel, EarlyUpstream, ProducerChannel } from './sqs-channels';
import { isEndOfPartition, newConsumerChannel, postUpstream } from './sqs-channels';
import { SqsEnvelopeError } from './sqs-errors';

export interface InboundRouterEnv {
  readonly queuePrefix: string;
  readonly maxHeldBytes: number;
  readonly logger: Logger;
  readonly producers: ReadonlyMap<string, ProducerChannel>;
  readonly consumers: Map<string, ConsumerChannel>;
  readonly released: ReleasedChannels;
  readonly lose: (channelIds: string[], error: SluiceError) => void;
}

/**
 * Routes what the pollers received to local channels: downstream envelopes into consumer
 * ports (held for consumers not registered yet), upstream envelopes into producer ports (held
 * for producers not connected yet). Enforces each channel's sequence: a number already seen is
 * a redelivery and dropped, a number skipped means a message was lost and fails the channel.
 * Messages of released channels, and bodies that are not envelopes of this queue, are dropped.
 */
export class InboundRouter {
  readonly early = new Map<string, EarlyUpstream>();
  readonly drops = { duplicatesDropped: 0, staleDropped: 0, malformedDropped: 0 };
  /** Bytes held for consumer channels not registered yet. */
  heldBytes = 0;

  constructor(private readonly env: InboundRouterEnv) {}

  /** Upstream messages that arrived before `channel` connected go to it now. */
  connected(channel: ProducerChannel): void {
    const early = this.early.get(channel.id);
    if (!early) return;
    this.early.delete(channel.id);
    channel.upNext = early.upNext;
    for (const message of early.messages) postUpstream(channel, message);
  }

  /** Routes the messages one receive returned to their channels, synchronously. */
  deliver(poller: QueuePoller, messages: Message[]): void {
    for (const message of messages) {
      let envelope: Envelope;
      try {
        envelope = decodeEnvelope(message.Body);
        if (queueFor(this.env.queuePrefix, envelope.c, poller.ref.direction).name !== poller.name) {
          throw new SqsEnvelopeError(`channel '${envelope.c}' does not belong on queue '${poller.name}'`);
        }
      } catch (err) {
        this.drops.malformedDropped++;
        this.env.logger.warn(
          { queue: poller.name, err },
          'dropped a message that is not an exchange envelope',
        );
        continue;
      }
      if (poller.ref.direction === 'down') this.onDownstream(envelope);
      else this.onUpstream(envelope);
    }
  }

  private onDownstream(envelope: Envelope): void {
    const id = envelope.c;
    if (this.env.released.has(id) || this.env.producers.has(id)) return void this.drops.staleDropped++;
    let channel = this.env.consumers.get(id);
    if (!channel) {
      channel = newConsumerChannel(id);
      this.env.consumers.set(id, channel);
    }
    if (!channel.open) return void this.drops.staleDropped++;
    if (!this.inSequence(id, envelope.s, channel.downNext)) return;
    channel.downNext++;
    try {
      for (const item of envelope.m) {
        const message = decodeDownstreamItem(item, channel.fragments);
        if (message) this.deliverDownstream(channel, message);
      }
    } catch (err) {
      this.env.lose([id], err instanceof SluiceError ? err : new SqsEnvelopeError(String(err)));
    }
  }

  private deliverDownstream(channel: ConsumerChannel, message: DownstreamMessage): void {
    if (isEndOfPartition(message)) channel.eopSeen = true;
    if (channel.port) return postDownstream(channel.port, message);
    const size = heldBytes(message);
    channel.inbox.push(message);
    channel.inboxBytes += size;
    this.heldBytes += size;
    if (this.heldBytes > this.env.maxHeldBytes) {
      // Credits bound what a well-behaved producer sends; fail loudly rather than grow.
      throw new NetworkError(
        `more than ${this.env.maxHeldBytes} bytes held for unregistered consumer channels`,
        { retryable: false },
      );
    }
  }

  private onUpstream(envelope: Envelope): void {
    const id = envelope.c;
    if (this.env.released.has(id) || this.env.consumers.has(id)) return void this.drops.staleDropped++;
    const channel = this.env.producers.get(id);
    if (channel && !channel.open) return void this.drops.staleDropped++;
    const target = channel ?? this.earlyUpstream(id);
    if (!this.inSequence(id, envelope.s, target.upNext)) return;
    target.upNext++;
    try {
      for (const item of envelope.m) {
        const message = decodeUpstreamItem(item);
        if (channel) postUpstream(channel, message);
        else this.early.get(id)?.messages.push(message);
      }
    } catch (err) {
      this.env.lose([id], err instanceof SluiceError ? err : new SqsEnvelopeError(String(err)));
    }
  }

  /** Upstream messages for a producer channel that connects later (its task is still being deployed). */
  private earlyUpstream(channelId: string): EarlyUpstream {
    let early = this.early.get(channelId);
    if (!early) {
      early = { upNext: 0, messages: [] };
      this.early.set(channelId, early);
    }
    return early;
  }

  /** False for a duplicate (dropped) or a gap (the channel is lost: a message went missing). */
  private inSequence(channelId: string, seq: number, expected: number): boolean {
    if (seq === expected) return true;
    if (seq < expected) {
      this.drops.duplicatesDropped++;
      return false;
    }
    this.env.lose(
      [channelId],
      new SqsEnvelopeError(`channel '${channelId}' jumped from message ${expected} to ${seq}`),
    );
    return false;
  }
}
