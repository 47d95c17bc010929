import { NetworkError } from '../../errors';

/**
 * An SQS call failed (after the retries the error allows). `retryable` false means retrying
 * the same call cannot help (the queue does not exist, the request is invalid); true means it
 * failed transiently but the retry budget is spent.
 */
export class SqsQueueError extends NetworkError {
  readonly queueName: string;
  /** The AWS error name (`QueueDoesNotExist`, `RequestThrottled`…), or the Node error name. */
  readonly awsError: string;

  constructor(
    queueName: string,
    operation: string,
    awsError: string,
    options: { cause?: unknown; retryable: boolean },
  ) {
    super(`SQS ${operation} on queue '${queueName}' failed: ${awsError}`, options);
    this.queueName = queueName;
    this.awsError = awsError;
  }
}

/** An SQS message on an exchange queue that is not a valid envelope, or breaks a channel's sequence. */
export class SqsEnvelopeError extends NetworkError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: false });
  }
}
