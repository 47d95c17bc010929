import type { Message } from '@aws-sdk/client-sqs';
import type { Logger } from '../../util/logger';
import type { QueueRef } from './queue-names';
import type { SqsQueueError } from './sqs-errors';
import type { SqsQueueClient } from './sqs-queue-client';
import { sleep } from './sqs-queue-client';

/** Deletes of one poller that may be outstanding before it waits for them (they free FIFO groups). */
const MAX_PENDING_DELETES = 4;

export interface ReceiveCounters {
  receiveCalls: number;
  messagesReceived: number;
  bytesReceived: number;
  deleteCalls: number;
  deleteFailures: number;
}

export interface QueuePollerEnv {
  readonly sqs: SqsQueueClient;
  readonly counters: ReceiveCounters;
  readonly logger: Logger;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Handles received messages synchronously (posting into task ports); they are deleted afterwards. */
  readonly deliver: (poller: QueuePoller, messages: Message[]) => void;
  /** The queue cannot be read any more (missing, or failing after the retries). */
  readonly failed: (poller: QueuePoller, error: SqsQueueError) => void;
}

/**
 * Long-polls one inbound queue: receive (up to 10, waiting up to `waitTimeSeconds`), hand the
 * messages to the exchange, which posts them into task ports, then delete them in one batch
 * without waiting before the next receive. A FIFO group stays locked while one of its messages
 * is received and not deleted, so the delete is what lets the channel's next message through.
 * Delivery is at least once: a message whose delete failed comes back after the visibility
 * timeout, and the exchange drops it by its sequence number.
 */
export class QueuePoller {
  /** Channels routed here that are still in use by a local task. */
  readonly channels = new Set<string>();
  /** True once a channel left without finishing cleanly: the queue is then not deleted when the last one leaves. */
  unclean = false;
  /** The whole attempt was released: the queue is deleted when the poller stops, finished or not. */
  attemptReleased = false;
  private running = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly deletes = new Set<Promise<void>>();

  constructor(
    readonly ref: QueueRef,
    private readonly tags: Record<string, string>,
    private readonly env: QueuePollerEnv,
  ) {}

  get name(): string {
    return this.ref.name;
  }

  start(): void {
    if (this.loop) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops polling (aborting a long poll) and waits for outstanding deletes. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
    await Promise.allSettled([...this.deletes]);
  }

  private async run(): Promise<void> {
    let url: string;
    try {
      url = await this.env.sqs.queueUrl(this.ref.name, this.tags);
    } catch (err) {
      if (this.running) this.env.failed(this, err as SqsQueueError);
      return;
    }
    let failures = 0;
    while (this.running) {
      let messages: Message[];
      try {
        this.env.counters.receiveCalls++;
        messages = await this.env.sqs.receive(this.ref.name, url, this.abort.signal);
        failures = 0;
      } catch (err) {
        if (!this.running) return;
        const error = err as SqsQueueError;
        if (!error.retryable || ++failures >= this.env.maxAttempts) return this.env.failed(this, error);
        this.env.logger.warn(
          { queue: this.ref.name, err: error.awsError, failures },
          'SQS receive failed; retrying',
        );
        await this.backoff(failures);
        continue;
      }
      // Stopped during the poll: the queue is being released; what came back is stale.
      if (!this.running || messages.length === 0) continue;
      for (const message of messages) this.env.counters.bytesReceived += message.Body?.length ?? 0;
      this.env.counters.messagesReceived += messages.length;
      this.env.deliver(this, messages);
      await this.deleteLater(url, messages);
    }
  }

  private async deleteLater(url: string, messages: Message[]): Promise<void> {
    const handles = messages.map((m) => m.ReceiptHandle).filter((h): h is string => h !== undefined);
    if (handles.length === 0) return;
    this.env.counters.deleteCalls++;
    const pending: Promise<void> = this.env.sqs
      .deleteBatch(this.ref.name, url, handles)
      .catch((err: unknown) => {
        this.env.counters.deleteFailures++;
        this.env.logger.warn(
          { queue: this.ref.name, err },
          'SQS delete failed; the messages will come back as duplicates',
        );
      })
      .finally(() => this.deletes.delete(pending));
    this.deletes.add(pending);
    if (this.deletes.size >= MAX_PENDING_DELETES) await Promise.race(this.deletes);
  }

  private backoff(failures: number): Promise<void> {
    return sleep(
      Math.random() * Math.min(this.env.retryMaxMs, this.env.retryBaseMs * 2 ** failures),
      this.abort.signal,
    );
  }
}
