import { setMaxListeners } from 'node:events';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { Message, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { Logger } from '../../util/logger';
import { SqsQueueError } from './sqs-errors';

export interface SqsQueueClientConfig {
  endpoint?: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Long-poll wait of ReceiveMessage, 0–20 s. */
  waitTimeSeconds: number;
  visibilityTimeoutSeconds: number;
  /**
   * Redrive target: a message received this many times without being deleted moves there
   * (its channel then sees a sequence gap and is reported lost, so the job restarts).
   */
  deadLetterQueueArn?: string;
  /** Attempts per call for transient errors (throttling, 5xx, connection errors). */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Upper bound on concurrent sockets of the send client (sends, deletes, queue admin). */
  maxSendSockets: number;
  logger: Logger;
  /** One client for everything (tests); by default two are created, see the class comment. */
  client?: SQSClient;
}

export interface BatchEntryFailure {
  readonly id: string;
  readonly code: string;
  /** The request itself was wrong (too big, invalid): retrying the entry cannot help. */
  readonly senderFault: boolean;
}

/** Tags every exchange queue carries: the exact job id, so `deleteQueuesForJob` never guesses. */
export const JOB_TAG = 'sluice:job';

const TERMINAL_ERRORS = new Set([
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'QueueDeletedRecently',
  'AWS.SimpleQueueService.QueueDeletedRecently',
  'InvalidParameterValue',
  'InvalidAttributeValue',
  'InvalidAttributeName',
  'InvalidMessageContents',
  'BatchRequestTooLong',
  'TooManyEntriesInBatchRequest',
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'AbortError',
]);

/**
 * The SQS calls of the exchange, with a retry policy (exponential backoff with jitter on
 * transient errors) and a cache of queue URLs. Two SDK clients with separate socket pools:
 * long polls each hold a socket for up to `waitTimeSeconds`, and must never make a send wait
 * for a free socket.
 */
export class SqsQueueClient {
  private readonly send: SQSClient;
  private readonly poll: SQSClient;
  private readonly urls = new Map<string, Promise<string>>();
  /** Aborted by `close()`: ends calls in flight and retry loops at once. */
  private readonly closing = new AbortController();
  private readonly options = { abortSignal: this.closing.signal };

  constructor(private readonly config: SqsQueueClientConfig) {
    // Every call in flight listens on the one signal; a busy exchange has far more than 10.
    setMaxListeners(0, this.closing.signal);
    const base = {
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      maxAttempts: 1, // retries are ours: classified, logged, bounded per call
    };
    this.send =
      config.client ??
      new SQSClient({
        ...base,
        requestHandler: {
          httpAgent: { keepAlive: true, maxSockets: config.maxSendSockets },
          httpsAgent: { keepAlive: true, maxSockets: config.maxSendSockets },
          connectionTimeout: 5_000,
          requestTimeout: 30_000,
          throwOnRequestTimeout: true,
        },
      });
    this.poll =
      config.client ??
      new SQSClient({
        ...base,
        requestHandler: {
          httpAgent: { keepAlive: true, maxSockets: 1024 },
          httpsAgent: { keepAlive: true, maxSockets: 1024 },
          connectionTimeout: 5_000,
          requestTimeout: (config.waitTimeSeconds + 15) * 1000,
          throwOnRequestTimeout: true,
        },
      });
  }

  /**
   * The URL of queue `name`, creating it when missing: idempotent CreateQueue with the same
   * attributes on both sides of a channel. Cached; a failed lookup is not cached.
   */
  queueUrl(name: string, tags: Record<string, string>): Promise<string> {
    let url = this.urls.get(name);
    if (!url) {
      url = this.retry(name, 'CreateQueue', () => this.createQueue(name, tags));
      this.urls.set(name, url);
      url.catch(() => this.urls.delete(name));
    }
    return url;
  }

  /** Forgets the cached URL (the queue was deleted). */
  forget(name: string): void {
    this.urls.delete(name);
  }

  /** Sends up to 10 entries; whole-call failures are retried, per-entry failures returned. */
  async sendBatch(
    name: string,
    url: string,
    entries: SendMessageBatchRequestEntry[],
  ): Promise<BatchEntryFailure[]> {
    const out = await this.retry(name, 'SendMessageBatch', () =>
      this.send.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }), this.options),
    );
    return (out.Failed ?? []).map((f) => ({
      id: f.Id ?? '',
      code: f.Code ?? 'Unknown',
      senderFault: f.SenderFault === true,
    }));
  }

  /** One long poll for up to 10 messages. Not retried: the poller counts failures itself. */
  async receive(name: string, url: string, signal: AbortSignal): Promise<Message[]> {
    try {
      const out = await this.poll.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: this.config.waitTimeSeconds,
        }),
        { abortSignal: signal },
      );
      return out.Messages ?? [];
    } catch (err) {
      throw toQueueError(name, 'ReceiveMessage', err);
    }
  }

  /** Deletes received messages by receipt handle (up to 10). Failed entries are only logged: they come back after the visibility timeout and are dropped as duplicates. */
  async deleteBatch(name: string, url: string, receiptHandles: string[]): Promise<void> {
    const out = await this.retry(name, 'DeleteMessageBatch', () =>
      this.send.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: receiptHandles.map((h, i) => ({ Id: `d${i}`, ReceiptHandle: h })),
        }),
        this.options,
      ),
    );
    if (out.Failed?.length)
      this.config.logger.warn({ queue: name, failed: out.Failed }, 'some SQS deletes failed');
  }

  /** Deletes a queue; a queue that is already gone counts as deleted. */
  async deleteQueue(name: string, url?: string): Promise<void> {
    try {
      const queueUrl = url ?? (await this.existingUrl(name));
      if (queueUrl)
        await this.retry(name, 'DeleteQueue', () =>
          this.send.send(new DeleteQueueCommand({ QueueUrl: queueUrl }), this.options),
        );
    } catch (err) {
      if (!(err instanceof SqsQueueError && isMissingQueue(err.awsError))) throw err;
    } finally {
      this.urls.delete(name);
    }
  }

  /** URLs of every queue whose name starts with `namePrefix`, following pagination. */
  async listQueueUrls(namePrefix: string): Promise<string[]> {
    const urls: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.retry(namePrefix, 'ListQueues', () =>
        this.send.send(
          new ListQueuesCommand({ QueueNamePrefix: namePrefix, MaxResults: 1000, NextToken: token }),
          this.options,
        ),
      );
      urls.push(...(out.QueueUrls ?? []));
      token = out.NextToken;
    } while (token);
    return urls;
  }

  async queueTags(url: string): Promise<Record<string, string>> {
    const out = await this.retry(url, 'ListQueueTags', () =>
      this.send.send(new ListQueueTagsCommand({ QueueUrl: url }), this.options),
    );
    return out.Tags ?? {};
  }

  close(): void {
    this.closing.abort();
    this.send.destroy();
    if (this.poll !== this.send) this.poll.destroy();
  }

  private async createQueue(name: string, tags: Record<string, string>): Promise<string> {
    const attributes = {
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      // High-throughput FIFO: limits apply per message group (channel), not per queue.
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: String(this.config.visibilityTimeoutSeconds),
      ...(this.config.deadLetterQueueArn
        ? {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: this.config.deadLetterQueueArn,
              maxReceiveCount: 5,
            }),
          }
        : {}),
    };
    try {
      const out = await this.send.send(
        new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags }),
        this.options,
      );
      if (!out.QueueUrl) throw new Error('CreateQueue returned no URL');
      return out.QueueUrl;
    } catch (err) {
      // Created by a peer configured with other attributes: use it as it is.
      if (errorName(err) === 'QueueNameExists' || errorName(err) === 'QueueAlreadyExists') {
        const out = await this.send.send(new GetQueueUrlCommand({ QueueName: name }), this.options);
        if (out.QueueUrl) return out.QueueUrl;
      }
      throw err;
    }
  }

  private async existingUrl(name: string): Promise<string | undefined> {
    const cached = this.urls.get(name);
    if (cached) return cached.catch(() => undefined);
    try {
      const out = await this.send.send(new GetQueueUrlCommand({ QueueName: name }), this.options);
      return out.QueueUrl;
    } catch (err) {
      if (isMissingQueue(errorName(err))) return undefined;
      throw toQueueError(name, 'GetQueueUrl', err);
    }
  }

  /** Runs `call`, retrying transient failures with capped exponential backoff and full jitter. */
  private async retry<T>(name: string, operation: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const error = toQueueError(name, operation, err);
        if (!error.retryable || attempt >= this.config.maxAttempts) throw error;
        const delay =
          Math.random() * Math.min(this.config.retryMaxMs, this.config.retryBaseMs * 2 ** (attempt - 1));
        this.config.logger.debug(
          { queue: name, operation, attempt, err: error.awsError },
          'retrying SQS call',
        );
        await sleep(delay, this.closing.signal);
        if (this.closing.signal.aborted)
          throw new SqsQueueError(name, operation, 'AbortError', { cause: err, retryable: false });
      }
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function isMissingQueue(awsError: string): boolean {
  return awsError === 'QueueDoesNotExist' || awsError === 'AWS.SimpleQueueService.NonExistentQueue';
}

function errorName(err: unknown): string {
  if (err instanceof SqsQueueError) return err.awsError;
  if (typeof err === 'object' && err !== null) {
    const e = err as { name?: unknown; code?: unknown; Code?: unknown };
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
    if (typeof e.code === 'string') return e.code;
    if (typeof e.Code === 'string') return e.Code;
  }
  return 'Error';
}

function toQueueError(name: string, operation: string, err: unknown): SqsQueueError {
  if (err instanceof SqsQueueError) return err;
  const awsError = errorName(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const fault = (err as { $fault?: string }).$fault;
  // Unknown client-side errors (4xx) are terminal; throttling, 5xx and socket errors are not.
  const retryable =
    !TERMINAL_ERRORS.has(awsError) &&
    (status === undefined ||
      status >= 500 ||
      status === 429 ||
      fault === 'server' ||
      /thrott|overlimit/i.test(awsError));
  return new SqsQueueError(name, operation, awsError, { cause: err, retryable });
}
