import { createHash } from 'node:crypto';
import { ConfigError } from '../../errors';
import { namePrefixProblem } from '../../config/option-validators';

/**
 * Deterministic SQS names of the sqs exchange. Both TaskManagers of a channel derive the same
 * queue name from the channel id alone, so no coordination is needed to find a queue.
 *
 *   downstream: one queue per (job, attempt, edge, consumer subtask)  `<prefix>-<job>-a<attempt>-d<hash>.fifo`
 *   upstream:   one queue per (job, attempt, edge, producer subtask)  `<prefix>-<job>-a<attempt>-u<hash>.fifo`
 *
 * `<job>` is 10 hex digits of sha256(jobId), so `<prefix>-<job>-` lists every queue of a job
 * (tags on the queue carry the full job id for an exact check); `<hash>` is 12 hex digits of
 * sha256 over the full queue key. With a prefix of at most 40 characters and an attempt of at
 * most 8 digits the name stays within SQS's 80-character limit.
 */

export type QueueDirection = 'down' | 'up';

/** The parts of a channel id (`channel-protocol.ts` `channelId`). */
export interface ChannelParts {
  readonly jobId: string;
  readonly attempt: number;
  readonly edgeId: string;
  readonly producerSubtask: number;
  readonly consumerSubtask: number;
}

/** A queue of the exchange: its name and what it belongs to. */
export interface QueueRef {
  readonly name: string;
  readonly direction: QueueDirection;
  readonly jobId: string;
  readonly attempt: number;
  /** `<jobId>/<attempt>/`: every channel on the queue starts with it. */
  readonly attemptPrefix: string;
}

const MAX_QUEUE_NAME = 80;
const MAX_ATTEMPT_DIGITS = 8;
const SQS_ID_CHARS = /^[\x21-\x7e]{1,128}$/;

/** Throws a ConfigError when `prefix` cannot start a queue name. */
export function assertQueuePrefix(prefix: string): void {
  const problem = namePrefixProblem(prefix);
  if (problem) throw new ConfigError(`sqs.queue-prefix ${JSON.stringify(prefix)} ${problem}`);
}

/** Splits a channel id; throws on ids the execution graph would never produce. */
export function parseChannelId(channelId: string): ChannelParts {
  const parts = channelId.split('/');
  const subtasks = /^(\d+)-(\d+)$/.exec(parts[parts.length - 1] ?? '');
  const attempt = Number(parts[parts.length - 3]);
  if (parts.length < 4 || !subtasks || !Number.isSafeInteger(attempt) || attempt < 0) {
    throw new ConfigError(
      `'${channelId}' is not a channel id (<job>/<attempt>/<edge>/<producer>-<consumer>)`,
    );
  }
  return {
    jobId: parts.slice(0, -3).join('/'),
    attempt,
    edgeId: parts[parts.length - 2]!,
    producerSubtask: Number(subtasks[1]),
    consumerSubtask: Number(subtasks[2]),
  };
}

/** The queue carrying `direction` messages of `channelId`. */
export function queueFor(prefix: string, channelId: string, direction: QueueDirection): QueueRef {
  const c = parseChannelId(channelId);
  const subtask = direction === 'down' ? c.consumerSubtask : c.producerSubtask;
  const key = `${direction}|${c.jobId}|${c.attempt}|${c.edgeId}|${subtask}`;
  const attemptText = String(c.attempt);
  if (attemptText.length > MAX_ATTEMPT_DIGITS)
    throw new ConfigError(`attempt ${c.attempt} is too large for a queue name`);
  const name = `${jobQueueNamePrefix(prefix, c.jobId)}a${attemptText}-${direction[0]}${sha256(key).slice(0, 12)}.fifo`;
  if (name.length > MAX_QUEUE_NAME)
    throw new ConfigError(`queue name '${name}' is longer than ${MAX_QUEUE_NAME} characters`);
  return { name, direction, jobId: c.jobId, attempt: c.attempt, attemptPrefix: `${c.jobId}/${c.attempt}/` };
}

/** The name prefix shared by every queue of `jobId` (all attempts, both directions). */
export function jobQueueNamePrefix(prefix: string, jobId: string): string {
  return `${prefix}-${sha256(jobId).slice(0, 10)}-`;
}

/** MessageGroupId of a channel: the channel id itself when SQS accepts it, else its hash. */
export function messageGroupId(channelId: string): string {
  return SQS_ID_CHARS.test(channelId) ? channelId : `h${sha256(channelId)}`;
}

/** MessageDeduplicationId of message `seq` of a channel: channel id and sequence number. */
export function deduplicationId(channelId: string, seq: number): string {
  const id = `${channelId}:${seq}`;
  return SQS_ID_CHARS.test(id) ? id : `h${sha256(channelId).slice(0, 64)}:${seq}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
