import type { Message } from '@aws-sdk/client-sqs';
import type { SluiceError } from '../../errors';
import type { Logger } from '../../util/logger';
import type { ChannelOutbox } from './channel-outbox';
import type { SendCounters, SendLimiter } from './outbound-queue';
import { OutboundQueue } from './outbound-queue';
import type { QueueRef } from './queue-names';
import type { ReceiveCounters } from './queue-poller';
import { QueuePoller } from './queue-poller';
import type { SqsQueueError } from './sqs-errors';
import type { SqsQueueClient } from './sqs-queue-client';
import { JOB_TAG } from './sqs-queue-client';

export interface ExchangeQueuesEnv {
  readonly sqs: SqsQueueClient;
  readonly limiter: SendLimiter;
  readonly logger: Logger;
  readonly maxBatchBytes: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly deliver: (poller: QueuePoller, messages: Message[]) => void;
  readonly outboundFailed: (ref: QueueRef, channelIds: string[], error: SluiceError) => void;
  readonly pollerFailed: (poller: QueuePoller, error: SqsQueueError) => void;
}

/**
 * The queues one exchange uses and their lifecycle: an OutboundQueue per queue it sends to
 * (kept while a local channel writes to it) and a QueuePoller per queue it reads (kept while a
 * local channel reads from it). A poller whose last channel leaves stops; its queue is deleted
 * when every channel finished cleanly or the whole attempt was released. Deletion is this
 * side's job for the queues it reads only: the peer may still be writing to the others.
 */
export class ExchangeQueues {
  readonly sendCounters: SendCounters = {
    sendCalls: 0,
    messagesSent: 0,
    bytesSent: 0,
    buffersSent: 0,
    entriesRetried: 0,
  };
  readonly receiveCounters: ReceiveCounters = {
    receiveCalls: 0,
    messagesReceived: 0,
    bytesReceived: 0,
    deleteCalls: 0,
    deleteFailures: 0,
  };
  queuesDeleted = 0;
  private readonly outbound = new Map<string, OutboundQueue>();
  private readonly pollers = new Map<string, QueuePoller>();
  private readonly deletions = new Set<Promise<void>>();

  constructor(private readonly env: ExchangeQueuesEnv) {}

  get outboundCount(): number {
    return this.outbound.size;
  }

  get pollerCount(): number {
    return this.pollers.size;
  }

  /** The sender for `ref`, created (and the queue with it) on first use. */
  outboundQueue(ref: QueueRef): OutboundQueue {
    let queue = this.outbound.get(ref.name);
    if (!queue) {
      queue = new OutboundQueue(ref, queueTags(ref), {
        ...this.env,
        counters: this.sendCounters,
        failed: (outboxes, error) =>
          this.env.outboundFailed(
            ref,
            outboxes.map((o) => o.channelId),
            error,
          ),
      });
      this.outbound.set(ref.name, queue);
    }
    return queue;
  }

  /** The running poller of `ref`, started (and the queue created) on first use. */
  poller(ref: QueueRef): QueuePoller {
    let poller = this.pollers.get(ref.name);
    if (!poller) {
      poller = new QueuePoller(ref, queueTags(ref), {
        ...this.env,
        counters: this.receiveCounters,
        failed: (p, error) => this.env.pollerFailed(p, error),
      });
      this.pollers.set(ref.name, poller);
      poller.start();
    }
    return poller;
  }

  /** A channel stops writing to `queue`: its unsent messages are dropped; an unused queue is let go. */
  dropOutbox(queue: OutboundQueue, out: ChannelOutbox): void {
    queue.remove(out);
    out.clear();
    if (queue.size > 0 || this.outbound.get(queue.ref.name) !== queue) return;
    this.outbound.delete(queue.ref.name);
    queue.close();
    this.env.sqs.forget(queue.ref.name);
  }

  /** A channel stops reading from `poller`; the last one out retires it. Idempotent per channel. */
  leavePoller(poller: QueuePoller, channelId: string, clean: boolean): void {
    if (!poller.channels.delete(channelId)) return;
    if (!clean) poller.unclean = true;
    if (poller.channels.size === 0) this.retirePoller(poller);
  }

  /** Every queue of attempts `prefix` covers is deleted when its poller stops, finished or not. */
  releaseAttempts(prefix: string): void {
    for (const poller of [...this.pollers.values()]) {
      if (!poller.ref.attemptPrefix.startsWith(prefix)) continue;
      poller.attemptReleased = true;
      if (poller.channels.size === 0) this.retirePoller(poller);
    }
  }

  /** Stops `poller`, then deletes its queue if it is done with (see the class comment). */
  retirePoller(poller: QueuePoller): void {
    if (this.pollers.get(poller.name) !== poller) return;
    this.pollers.delete(poller.name);
    const deleteQueue = poller.attemptReleased || !poller.unclean;
    const done = poller
      .stop()
      .then(async () => {
        if (!deleteQueue) return;
        await this.env.sqs.deleteQueue(poller.name);
        this.queuesDeleted++;
      })
      .catch((err: unknown) =>
        this.env.logger.warn({ queue: poller.name, err }, 'could not delete an SQS exchange queue'),
      )
      .finally(() => this.deletions.delete(done));
    this.deletions.add(done);
  }

  /** Resolves once the queue deletions started so far have ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.deletions]);
  }

  /** Stops every poller and sender; waits for deletions under way. Deletes nothing more. */
  async close(): Promise<void> {
    for (const queue of this.outbound.values()) queue.close();
    this.outbound.clear();
    const pollers = [...this.pollers.values()];
    this.pollers.clear();
    await Promise.allSettled(pollers.map((p) => p.stop()));
    await this.settled();
  }
}

/** Tags of every exchange queue: the job (checked before `deleteQueuesForJob` deletes), attempt, direction. */
function queueTags(ref: QueueRef): Record<string, string> {
  return { [JOB_TAG]: ref.jobId, 'sluice:attempt': String(ref.attempt), 'sluice:direction': ref.direction };
}
