import type { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '../../errors';
import type { Logger } from '../../util/logger';
import { assertQueuePrefix } from './queue-names';

export interface SqsExchangeOptions {
  taskManagerId: string;
  /** SQS endpoint for emulators (fauxqs, LocalStack); unset uses AWS. */
  endpoint?: string;
  region: string;
  /** Unset uses the AWS SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** `sqs.queue-prefix`: starts every queue name (1–40 letters, digits, `-`, `_`). */
  queuePrefix: string;
  /** Long-poll wait of ReceiveMessage, 0–20 s (default 20; tests use ~1). */
  waitTimeSeconds?: number;
  /** SendMessageBatch calls in flight at once across all queues (default 16). */
  maxInFlightSends?: number;
  /**
   * Queue VisibilityTimeout (default 30 s). Messages are deleted right after they were posted
   * to the task, so this only matters when a delete fails: the message, and with it its
   * channel (FIFO group), is held back this long before it comes again as a duplicate.
   */
  visibilityTimeoutSeconds?: number;
  /** Largest message body (default 256 KiB, SQS's classic limit; SQS now accepts up to 1 MiB). */
  maxMessageBytes?: number;
  /** Largest SendMessageBatch payload (default 256 KiB). */
  maxBatchBytes?: number;
  /** Attempts per SQS call and per message on transient errors before a queue counts as failed (default 6). */
  maxAttempts?: number;
  /** Backoff between attempts: full jitter up to min(retryMaxMs, retryBaseMs * 2^attempt). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Encoded bytes waiting to be sent per producer channel above which its port is not read (default 4 MiB). */
  maxPendingBytesPerChannel?: number;
  /** Bound on bytes held for consumer channels not registered yet (default 64 MiB). */
  maxHeldBytes?: number;
  /** ARN of a FIFO dead-letter queue set as the redrive target of every exchange queue. */
  deadLetterQueueArn?: string;
  logger?: Logger;
  /** One SDK client for all calls; for tests. */
  client?: SQSClient;
}

export type ResolvedSqsExchangeConfig = Readonly<
  Required<Omit<SqsExchangeOptions, 'logger' | 'client' | 'endpoint' | 'credentials' | 'deadLetterQueueArn'>>
>;

/** Applies defaults and validates; throws ConfigError naming the first bad option. */
export function resolveSqsExchangeConfig(options: SqsExchangeOptions): ResolvedSqsExchangeConfig {
  if (!options.taskManagerId) throw new ConfigError('SqsExchange: taskManagerId must not be empty');
  if (!options.region) throw new ConfigError('SqsExchange: region must not be empty');
  assertQueuePrefix(options.queuePrefix);
  const config = {
    taskManagerId: options.taskManagerId,
    region: options.region,
    queuePrefix: options.queuePrefix,
    waitTimeSeconds: options.waitTimeSeconds ?? 20,
    maxInFlightSends: options.maxInFlightSends ?? 16,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
    maxMessageBytes: options.maxMessageBytes ?? 256 * 1024,
    maxBatchBytes: options.maxBatchBytes ?? 256 * 1024,
    maxAttempts: options.maxAttempts ?? 6,
    retryBaseMs: options.retryBaseMs ?? 100,
    retryMaxMs: options.retryMaxMs ?? 2_000,
    maxPendingBytesPerChannel: options.maxPendingBytesPerChannel ?? 4 * 1024 * 1024,
    maxHeldBytes: options.maxHeldBytes ?? 64 * 1024 * 1024,
  };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new ConfigError(`SqsExchange: ${what}`);
  };
  const int = (value: number, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
    Number.isInteger(value) && value >= min && value <= max;
  check(int(config.waitTimeSeconds, 0, 20), 'waitTimeSeconds must be an integer from 0 to 20');
  check(
    int(config.visibilityTimeoutSeconds, 1, 43_200),
    'visibilityTimeoutSeconds must be an integer from 1 to 43200',
  );
  check(int(config.maxMessageBytes, 4096, 1024 * 1024), 'maxMessageBytes must be from 4 KiB to 1 MiB');
  check(
    int(config.maxBatchBytes, config.maxMessageBytes, 1024 * 1024),
    'maxBatchBytes must be from maxMessageBytes to 1 MiB',
  );
  check(int(config.maxInFlightSends, 1), 'maxInFlightSends must be a positive integer');
  check(int(config.maxAttempts, 1), 'maxAttempts must be a positive integer');
  check(
    config.retryBaseMs >= 0 && config.retryMaxMs >= config.retryBaseMs,
    'retryMaxMs must be at least retryBaseMs',
  );
  check(config.maxPendingBytesPerChannel > 0 && config.maxHeldBytes > 0, 'byte bounds must be positive');
  return Object.freeze(config);
}
