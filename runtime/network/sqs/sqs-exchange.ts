import type { MessagePort } from 'node:worker_threads';
import { NetworkError, SluiceError } from '../../errors';
import { createLogger } from '../../util/logger';
import type { Logger } from '../../util/logger';
import { detachPort, isDownstreamMessage, isUpstreamMessage, postDownstream } from '../channel-messages';
import type { ExchangeTransport, PeerAddress } from '../exchange-transport';
import { ReleasedChannels } from '../released-channels';
import { ChannelOutbox } from './channel-outbox';
import { encodeDownstream, encodeUpstream } from './envelope-codec';
import { ExchangeQueues } from './exchange-queues';
import { InboundRouter } from './inbound-router';
import { SendLimiter } from './outbound-queue';
import type { QueueRef } from './queue-names';
import { jobQueueNamePrefix, queueFor } from './queue-names';
import type { QueuePoller } from './queue-poller';
import type { ConsumerChannel, ProducerChannel, SqsExchangeStats } from './sqs-channels';
import { newConsumerChannel } from './sqs-channels';
import { SqsEnvelopeError, SqsQueueError } from './sqs-errors';
import type { ResolvedSqsExchangeConfig, SqsExchangeOptions } from './sqs-exchange-config';
import { resolveSqsExchangeConfig } from './sqs-exchange-config';
import { JOB_TAG, SqsQueueClient, isMissingQueue } from './sqs-queue-client';

/** How long `close()` lets deletes under way finish before it aborts their retries. */
const CLOSE_GRACE_MS = 2_000;

export type { SqsExchangeOptions } from './sqs-exchange-config';

type LostListener = (channelIds: string[], error: SluiceError) => void;

/**
 * The SQS exchange transport of one TaskManager (docs/architecture.md §5): relays channel messages between
 * local task ports and FIFO queues, for workers that cannot reach each other or an exchange
 * that must be durable.
 *
 * Queues (names in `queue-names.ts`, derived from the channel id, so both sides agree
 * without coordination; a new attempt gets new queues):
 * - downstream: one FIFO queue per (job, attempt, edge, consumer subtask). Producers of the
 *   edge write data and events; the consumer's TaskManager long-polls it.
 * - upstream: one FIFO queue per (job, attempt, edge, producer subtask). Consumers write
 *   credits and eop-ack; the producer's TaskManager long-polls it.
 * Message group id = channel id, so each channel is in order while channels of a queue move
 * independently; deduplication id = channel id + sequence number. A message carries several
 * channel messages of one channel (`envelope-codec.ts`); buffers bigger than a message are
 * split. Both sides create (idempotent CreateQueue, same attributes) the queues they use.
 *
 * Flow control: credits stay end to end, so a producer task sends no more buffers than its
 * consumer granted, whatever the queue latency; in addition SendMessageBatch calls in flight
 * are bounded exchange-wide, a channel has at most one message in flight (which is also what
 * keeps its order), and a producer port that runs more than `maxPendingBytesPerChannel` ahead
 * is not read until its outbox drains.
 *
 * Receiving is at least once: messages are deleted (batched) after they were posted into the
 * task's port; a redelivery is dropped by its sequence number, a gap fails the channel.
 *
 * Lifecycle of queues: a side deletes the queues it polls (its inbound queues) when every
 * channel on one finished cleanly (end-of-partition delivered / eop-ack received) and its task
 * closed the port, and when `releaseChannelsWithPrefix` covers the queue's whole attempt
 * (restart, cancel). That is safe because end-of-partition and eop-ack are the last messages
 * of their channel, and a subtask's channels are all routed when it is deployed. A sender that
 * finds its queue gone reports its channels lost (a peer released the attempt). Queues a side
 * only writes to are left to the peer; `deleteQueuesForJob(jobId)` removes every queue of a
 * job whoever created it (call it when the job ends, to catch queues of TaskManagers that
 * died). `close()` deletes nothing: this process goes away, the job may not.
 *
 * Ownership: ports handed to the exchange are closed by it when their channel goes.
 */
export class SqsExchange implements ExchangeTransport {
  private readonly config: ResolvedSqsExchangeConfig;
  private readonly logger: Logger;
  private readonly sqs: SqsQueueClient;
  private readonly limiter: SendLimiter;
  private readonly queues: ExchangeQueues;
  private readonly producers = new Map<string, ProducerChannel>();
  private readonly consumers = new Map<string, ConsumerChannel>();
  private readonly released = new ReleasedChannels();
  private readonly lostListeners = new Set<LostListener>();
  private readonly router: InboundRouter;
  private droppedOutbound = 0;
  private portPauses = 0;
  private state: 'RUNNING' | 'CLOSED' = 'RUNNING';

  constructor(options: SqsExchangeOptions) {
    this.config = resolveSqsExchangeConfig(options);
    this.logger = options.logger ?? createLogger('sqs-exchange', { taskManagerId: options.taskManagerId });
    this.limiter = new SendLimiter(this.config.maxInFlightSends);
    this.sqs = new SqsQueueClient({
      ...this.config,
      endpoint: options.endpoint,
      credentials: options.credentials,
      deadLetterQueueArn: options.deadLetterQueueArn,
      maxSendSockets: this.config.maxInFlightSends + 16,
      logger: this.logger,
      client: options.client,
    });
    this.router = new InboundRouter({
      ...this.config,
      logger: this.logger,
      producers: this.producers,
      consumers: this.consumers,
      released: this.released,
      lose: (ids, error) => this.lose(ids, error),
    });
    this.queues = new ExchangeQueues({
      ...this.config,
      sqs: this.sqs,
      limiter: this.limiter,
      logger: this.logger,
      deliver: (poller, messages) => this.router.deliver(poller, messages),
      outboundFailed: (ref, channelIds, error) => this.outboundFailed(ref, channelIds, error),
      pollerFailed: (poller, error) => this.pollerFailed(poller, error),
    });
  }

  /**
   * Relays a channel whose producer task is local: downstream messages read from `localPort`
   * go, in order, to the consumer's downstream queue (created if missing); credits and eop-ack
   * from the channel's upstream queue are posted into `localPort`. `peer` is only checked
   * (queues are found by channel id). Takes ownership of the port; throws if the id is in use here.
   */
  connectProducerChannel(channelId: string, localPort: MessagePort, peer: PeerAddress): void {
    this.assertUsable(channelId, peer);
    this.released.forget(channelId);
    const queue = this.queues.outboundQueue(queueFor(this.config.queuePrefix, channelId, 'down'));
    const poller = this.queues.poller(queueFor(this.config.queuePrefix, channelId, 'up'));
    const channel: ProducerChannel = {
      id: channelId,
      port: localPort,
      out: new ChannelOutbox(channelId, this.config.maxMessageBytes, () => this.producerSent(channel)),
      queue,
      poller,
      onMessage: (message) => this.relayDownstream(channel, message),
      onClose: () => this.producerClosed(channel),
      upNext: 0,
      open: true,
      paused: false,
      closing: false,
      eopAcked: false,
    };
    this.producers.set(channelId, channel);
    queue.add(channel.out);
    poller.channels.add(channelId);
    localPort.on('message', channel.onMessage);
    localPort.on('close', channel.onClose);
    this.router.connected(channel);
  }

  /**
   * Delivers a channel whose consumer task is local: messages from the channel's downstream
   * queue are posted into `localPort` in order (first any held before registration, data
   * buffers transferred); credits and eop-ack read from the port go to the producer's upstream
   * queue. Takes ownership of the port; throws if the id is in use here.
   */
  registerConsumerChannel(channelId: string, localPort: MessagePort, peer: PeerAddress): void {
    this.assertUsable(channelId, peer);
    this.released.forget(channelId);
    let channel = this.consumers.get(channelId);
    if (!channel) {
      channel = newConsumerChannel(channelId);
      this.consumers.set(channelId, channel);
    }
    const bound = channel;
    bound.port = localPort;
    bound.queue = this.queues.outboundQueue(queueFor(this.config.queuePrefix, channelId, 'up'));
    bound.out = new ChannelOutbox(channelId, this.config.maxMessageBytes, () => this.consumerSent(bound));
    bound.queue.add(bound.out);
    bound.poller = this.queues.poller(queueFor(this.config.queuePrefix, channelId, 'down'));
    bound.poller.channels.add(channelId);
    bound.onMessage = (message) => this.relayUpstream(bound, message);
    bound.onClose = () => this.consumerClosed(bound);
    for (const message of bound.inbox) postDownstream(localPort, message);
    this.router.heldBytes -= bound.inboxBytes;
    bound.inbox = [];
    bound.inboxBytes = 0;
    localPort.on('message', bound.onMessage);
    localPort.on('close', bound.onClose);
  }

  /** Stops relaying `channelId` at once (pending messages dropped) and closes its port; later messages for it are dropped. Idempotent. */
  releaseChannel(channelId: string): void {
    this.releaseWhere((id) => id === channelId);
    this.released.add(channelId);
  }

  /**
   * Releases every channel whose id starts with `prefix` (`jobId/` or `jobId/attempt/`): ports
   * closed, pending messages dropped, pollers stopped; messages for the prefix that still
   * arrive are dropped. Inbound queues of attempts the prefix covers entirely are deleted.
   */
  releaseChannelsWithPrefix(prefix: string): void {
    this.released.addPrefix(prefix);
    this.queues.releaseAttempts(prefix);
    this.releaseWhere((id) => id.startsWith(prefix));
  }

  /** `listener(channelIds, error)` runs when channels can no longer be relayed; their tasks must fail. Returns an unsubscribe function. */
  onChannelsLost(listener: LostListener): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /**
   * Deletes every queue of `jobId` (all attempts, both directions, whichever TaskManager
   * created it; checked by the queue's job tag) and releases the job's local channels.
   * Resolves with the number of queues the job had. Call when the job reached a terminal state.
   */
  async deleteQueuesForJob(jobId: string): Promise<number> {
    const urls: string[] = [];
    for (const url of await this.sqs.listQueueUrls(jobQueueNamePrefix(this.config.queuePrefix, jobId))) {
      if ((await this.sqs.queueTags(url))[JOB_TAG] === jobId) urls.push(url);
    }
    this.releaseChannelsWithPrefix(`${jobId}/`);
    await this.queues.settled();
    for (const url of urls) await this.sqs.deleteQueue(url.slice(url.lastIndexOf('/') + 1), url);
    this.queues.queuesDeleted += urls.length;
    return urls.length;
  }

  /** Counters for metrics and tests. */
  stats(): SqsExchangeStats {
    return {
      producerChannels: this.producers.size,
      consumerChannels: [...this.consumers.values()].filter((c) => c.port).length,
      pollers: this.queues.pollerCount,
      outboundQueues: this.queues.outboundCount,
      inFlightSends: this.limiter.inFlight,
      peakInFlightSends: this.limiter.peak,
      ...this.queues.sendCounters,
      ...this.queues.receiveCounters,
      ...this.router.drops,
      droppedOutbound: this.droppedOutbound,
      pausedChannels: [...this.producers.values()].filter((c) => c.paused).length,
      portPauses: this.portPauses,
      unsentBytes: [...this.producers.values()].reduce((sum, c) => sum + c.out.unsentBytes, 0),
      heldBytes: this.router.heldBytes,
      queuesDeleted: this.queues.queuesDeleted,
    };
  }

  /** Stops every poller, drops what is unsent, closes every port; deletes no queue. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    for (const channel of this.producers.values()) {
      detachPort(channel.port, channel.onMessage, channel.onClose);
    }
    for (const channel of this.consumers.values()) {
      if (channel.port) detachPort(channel.port, channel.onMessage, channel.onClose);
    }
    this.producers.clear();
    this.consumers.clear();
    // Deletes and queue deletions under way get a grace time to finish; then their retries are
    // aborted, so a close while SQS is unreachable does not wait out the retry budget (the
    // messages come back as duplicates, which receivers drop by sequence number).
    const closing = this.queues.close();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([closing, new Promise<void>((r) => (grace = setTimeout(r, CLOSE_GRACE_MS)))]);
    clearTimeout(grace);
    this.sqs.close();
    await closing;
  }

  private relayDownstream(channel: ProducerChannel, message: unknown): void {
    if (!channel.open) return void this.droppedOutbound++;
    if (!isDownstreamMessage(message)) {
      return this.lose(
        [channel.id],
        new SqsEnvelopeError(`producer of '${channel.id}' posted an invalid message`),
      );
    }
    for (const item of encodeDownstream(message, channel.out.maxItemBytes)) channel.out.push(item);
    if (channel.out.unsentBytes > this.config.maxPendingBytesPerChannel && !channel.paused) {
      channel.paused = true;
      this.portPauses++;
      channel.port.off('message', channel.onMessage);
    }
    channel.queue.kick();
  }

  private relayUpstream(channel: ConsumerChannel, message: unknown): void {
    if (!isUpstreamMessage(message)) {
      return this.logger.warn(
        { channel: channel.id },
        'consumer posted an invalid upstream message; dropped',
      );
    }
    if (!channel.open || !channel.out || !channel.queue) return void this.droppedOutbound++;
    if (message.t === 'credit') channel.out.pushCredit(message.n);
    else channel.out.push(encodeUpstream(message));
    channel.queue.kick();
  }

  private producerSent(channel: ProducerChannel): void {
    if (channel.paused && channel.out.unsentBytes <= this.config.maxPendingBytesPerChannel / 2) {
      channel.paused = false;
      channel.port.on('message', channel.onMessage);
    }
    if (channel.closing && channel.out.idle) this.removeProducer(channel, channel.eopAcked);
  }

  private consumerSent(channel: ConsumerChannel): void {
    if (channel.closing && channel.out?.idle) this.removeConsumer(channel, channel.eopSeen);
  }

  /** The task closed its port: the channel goes once what it posted has been sent. */
  private producerClosed(channel: ProducerChannel): void {
    if (this.producers.get(channel.id) !== channel) return;
    if (!channel.open || channel.out.idle) this.removeProducer(channel, channel.eopAcked);
    else channel.closing = true;
  }

  private consumerClosed(channel: ConsumerChannel): void {
    if (this.consumers.get(channel.id) !== channel) return;
    if (!channel.open || !channel.out || channel.out.idle) this.removeConsumer(channel, channel.eopSeen);
    else channel.closing = true;
  }

  /** Channels that cannot be relayed any more: stop them, keep them until released, tell the listeners. */
  private lose(channelIds: string[], error: SluiceError): void {
    const lost: string[] = [];
    for (const id of channelIds) {
      const channel = this.producers.get(id) ?? this.consumers.get(id);
      if (!channel?.open) continue;
      channel.open = false;
      lost.push(id);
      if (channel.queue && channel.out) this.queues.dropOutbox(channel.queue, channel.out);
      if (channel.poller) this.queues.leavePoller(channel.poller, id, false);
      const producer = this.producers.get(id);
      if (producer?.paused) {
        producer.paused = false;
        producer.port.on('message', producer.onMessage); // keep draining the port, dropping
      }
    }
    if (lost.length === 0) return;
    this.logger.error({ channels: lost.length, err: error }, 'SQS exchange channels lost');
    for (const listener of this.lostListeners) {
      try {
        listener(lost, error);
      } catch (err) {
        this.logger.error({ err }, 'SqsExchange listener threw');
      }
    }
  }

  private releaseWhere(match: (id: string) => boolean): void {
    for (const channel of [...this.producers.values()]) {
      if (match(channel.id)) this.removeProducer(channel, false);
    }
    for (const channel of [...this.consumers.values()]) {
      if (match(channel.id)) this.removeConsumer(channel, false);
    }
    for (const id of [...this.router.early.keys()]) if (match(id)) this.router.early.delete(id);
  }

  private removeProducer(channel: ProducerChannel, clean: boolean): void {
    if (this.producers.get(channel.id) !== channel) return;
    this.producers.delete(channel.id);
    detachPort(channel.port, channel.onMessage, channel.onClose);
    this.queues.dropOutbox(channel.queue, channel.out);
    this.released.add(channel.id);
    this.queues.leavePoller(channel.poller, channel.id, clean);
  }

  private removeConsumer(channel: ConsumerChannel, clean: boolean): void {
    if (this.consumers.get(channel.id) !== channel) return;
    this.consumers.delete(channel.id);
    if (channel.port) detachPort(channel.port, channel.onMessage, channel.onClose);
    this.router.heldBytes -= channel.inboxBytes;
    if (channel.queue && channel.out) this.queues.dropOutbox(channel.queue, channel.out);
    this.released.add(channel.id);
    if (channel.poller) this.queues.leavePoller(channel.poller, channel.id, clean);
  }

  private outboundFailed(ref: QueueRef, channelIds: string[], error: SluiceError): void {
    if (error instanceof SqsQueueError && isMissingQueue(error.awsError)) this.sqs.forget(ref.name);
    this.lose(channelIds, error);
  }

  private pollerFailed(poller: QueuePoller, error: SqsQueueError): void {
    if (isMissingQueue(error.awsError)) this.sqs.forget(poller.name);
    const channelIds = [...poller.channels];
    poller.unclean = true;
    this.queues.retirePoller(poller);
    this.lose(channelIds, error);
  }

  private assertUsable(channelId: string, peer: PeerAddress): void {
    if (this.state === 'CLOSED') throw new NetworkError('SqsExchange is closed', { retryable: false });
    if (this.producers.has(channelId) || this.consumers.get(channelId)?.port) {
      throw new SluiceError(
        'SLUICE_CONFLICT',
        `channel '${channelId}' is already routed by this TaskManager`,
      );
    }
    if (peer.taskManagerId === this.config.taskManagerId) {
      throw new SluiceError('SLUICE_BAD_REQUEST', `channel '${channelId}' is local: use the local transport`);
    }
  }
}
