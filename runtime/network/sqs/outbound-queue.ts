import { NetworkError, SluiceError, describeError } from '../../errors';
import type { Logger } from '../../util/logger';
import type { ChannelOutbox } from './channel-outbox';
import type { QueueRef } from './queue-names';
import { deduplicationId } from './queue-names';
import { SqsQueueError } from './sqs-errors';
import type { SqsQueueClient } from './sqs-queue-client';

/** SQS allows at most 10 entries per SendMessageBatch. */
const MAX_BATCH_ENTRIES = 10;

/** Bounds the SendMessageBatch calls in flight across every queue of one exchange. */
export class SendLimiter {
  private active = 0;
  /** Highest number of calls in flight seen so far. */
  peak = 0;
  private readonly waiters = new Set<() => void>();

  constructor(readonly max: number) {}

  get inFlight(): number {
    return this.active;
  }

  tryAcquire(): boolean {
    if (this.active >= this.max) return false;
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    return true;
  }

  release(): void {
    this.active--;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Calls `wake` once the next call ends. */
  whenFree(wake: () => void): void {
    this.waiters.add(wake);
  }
}

export interface SendCounters {
  sendCalls: number;
  messagesSent: number;
  bytesSent: number;
  buffersSent: number;
  entriesRetried: number;
}

export interface OutboundQueueEnv {
  readonly sqs: SqsQueueClient;
  readonly limiter: SendLimiter;
  readonly counters: SendCounters;
  readonly logger: Logger;
  readonly maxBatchBytes: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** The outboxes can no longer send (queue unusable, or their message was refused). */
  readonly failed: (outboxes: ChannelOutbox[], error: SluiceError) => void;
}

/**
 * Sends the outboxes of the channels that write to one queue. A batch takes at most one
 * message per channel (one in flight per channel keeps the order), up to 10 entries and
 * `maxBatchBytes`; channels take turns. Batches of one queue may overlap, limited by the
 * exchange-wide SendLimiter. Entry failures are retried with the same sequence number and
 * deduplication id; a call that fails after the client's retries fails every channel of the queue.
 */
export class OutboundQueue {
  private readonly outboxes = new Set<ChannelOutbox>();
  private scheduled = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly kickFn = (): void => this.kick();

  constructor(
    readonly ref: QueueRef,
    private readonly tags: Record<string, string>,
    private readonly env: OutboundQueueEnv,
  ) {
    // Create the queue early (the producer side owns creating it); errors surface on the first send.
    env.sqs.queueUrl(ref.name, tags).catch(() => undefined);
  }

  get size(): number {
    return this.outboxes.size;
  }

  add(outbox: ChannelOutbox): void {
    this.outboxes.add(outbox);
  }

  remove(outbox: ChannelOutbox): void {
    this.outboxes.delete(outbox);
  }

  /** Schedules a flush on the next turn, so messages posted in one turn share batches. */
  kick(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.outboxes.clear();
  }

  private flush(): void {
    this.scheduled = false;
    while (!this.closed) {
      const now = Date.now();
      if (![...this.outboxes].some((o) => o.sendable(now))) return this.armRetryTimer(now);
      if (!this.env.limiter.tryAcquire()) return this.env.limiter.whenFree(this.kickFn);
      const batch = this.buildBatch(now);
      if (batch.length === 0) {
        this.env.limiter.release();
        return;
      }
      void this.send(batch);
    }
  }

  private buildBatch(now: number): ChannelOutbox[] {
    const batch: ChannelOutbox[] = [];
    let bytes = 0;
    for (const outbox of this.outboxes) {
      if (batch.length === MAX_BATCH_ENTRIES) break;
      if (!outbox.sendable(now)) continue;
      const message = outbox.take();
      // A message that does not fit stays packed and goes first in a later batch.
      if (batch.length > 0 && bytes + message.bytes > this.env.maxBatchBytes) continue;
      outbox.inFlight = true;
      batch.push(outbox);
      bytes += message.bytes;
    }
    // Round robin: the channels served now go to the back of the line.
    for (const outbox of batch) {
      this.outboxes.delete(outbox);
      this.outboxes.add(outbox);
    }
    return batch;
  }

  private async send(batch: ChannelOutbox[]): Promise<void> {
    const messages = batch.map((o) => o.current!);
    try {
      const url = await this.env.sqs.queueUrl(this.ref.name, this.tags);
      const entries = batch.map((o, i) => ({
        Id: `m${i}`,
        MessageBody: messages[i]!.body,
        MessageGroupId: o.groupId,
        MessageDeduplicationId: deduplicationId(o.channelId, messages[i]!.seq),
      }));
      this.env.counters.sendCalls++;
      const failures = new Map(
        (await this.env.sqs.sendBatch(this.ref.name, url, entries)).map((f) => [f.id, f]),
      );
      batch.forEach((outbox, i) => {
        const failure = failures.get(`m${i}`);
        if (failure) this.entryFailed(outbox, failure.code, failure.senderFault);
        else this.sent(outbox, messages[i]!);
      });
    } catch (err) {
      for (const outbox of batch) outbox.inFlight = false;
      this.failAll(err instanceof SluiceError ? err : new NetworkError(describeError(err), { cause: err }));
    } finally {
      this.env.limiter.release();
      this.kick();
    }
  }

  private sent(outbox: ChannelOutbox, message: { bytes: number; buffers: number }): void {
    if (outbox.current === undefined) return; // released while in flight
    outbox.sent();
    this.env.counters.messagesSent++;
    this.env.counters.bytesSent += message.bytes;
    this.env.counters.buffersSent += message.buffers;
    outbox.onSent();
  }

  private entryFailed(outbox: ChannelOutbox, code: string, senderFault: boolean): void {
    outbox.inFlight = false;
    const message = outbox.current;
    if (!message) return;
    message.attempts++;
    if (senderFault || message.attempts >= this.env.maxAttempts) {
      this.outboxes.delete(outbox);
      outbox.failed = true;
      outbox.clear();
      const error = new SqsQueueError(this.ref.name, 'SendMessageBatch', code, { retryable: !senderFault });
      this.env.failed([outbox], error);
      return;
    }
    this.env.counters.entriesRetried++;
    const delay = Math.random() * Math.min(this.env.retryMaxMs, this.env.retryBaseMs * 2 ** message.attempts);
    outbox.retryAt = Date.now() + delay;
  }

  /** Wakes the queue when the earliest entry waiting for a retry is due. */
  private armRetryTimer(now: number): void {
    let due = Infinity;
    for (const outbox of this.outboxes) {
      if (outbox.current && !outbox.inFlight && !outbox.failed) due = Math.min(due, outbox.retryAt);
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = due === Infinity ? undefined : setTimeout(this.kickFn, Math.max(1, due - now + 1));
  }

  private failAll(error: SluiceError): void {
    const victims = [...this.outboxes];
    this.outboxes.clear();
    for (const outbox of victims) {
      outbox.failed = true;
      outbox.clear();
    }
    this.env.logger.error(
      { queue: this.ref.name, err: error, channels: victims.length },
      'SQS exchange queue failed',
    );
    if (victims.length > 0) this.env.failed(victims, error);
  }
}
