import { ConfigError } from '../../../../runtime/errors';
import { channelId } from '../../../../runtime/graph/channel-id';
import {
  assertQueuePrefix,
  deduplicationId,
  jobQueueNamePrefix,
  messageGroupId,
  parseChannelId,
  queueFor,
} from '../../../../runtime/network/sqs/queue-names';

const JOB = '0123456789abcdef0123456789abcdef';

describe('SQS exchange queue names', () => {
  it('derive one downstream queue per consumer subtask and one upstream queue per producer subtask', () => {
    const down = (p: number, c: number) => queueFor('sluice', channelId(JOB, 3, 'e2', p, c), 'down').name;
    const up = (p: number, c: number) => queueFor('sluice', channelId(JOB, 3, 'e2', p, c), 'up').name;
    expect(down(0, 1)).toBe(down(5, 1));
    expect(down(0, 1)).not.toBe(down(0, 2));
    expect(up(4, 0)).toBe(up(4, 7));
    expect(up(4, 0)).not.toBe(up(3, 0));
    expect(down(1, 1)).not.toBe(up(1, 1));
    // Another attempt or edge never shares a queue.
    expect(queueFor('sluice', channelId(JOB, 4, 'e2', 0, 1), 'down').name).not.toBe(down(0, 1));
    expect(queueFor('sluice', channelId(JOB, 3, 'e3', 0, 1), 'down').name).not.toBe(down(0, 1));
  });

  it('are valid FIFO names within 80 characters that share a per-job prefix', () => {
    const prefix = 'p'.repeat(40);
    const ref = queueFor(prefix, channelId(JOB, 99_999_999, 'e123', 511, 511), 'down');
    expect(ref.name.length).toBeLessThanOrEqual(80);
    expect(ref.name).toMatch(/^[A-Za-z0-9_-]+\.fifo$/);
    expect(ref.name.startsWith(jobQueueNamePrefix(prefix, JOB))).toBe(true);
    expect(ref.name).toMatch(/-a99999999-d[0-9a-f]{12}\.fifo$/);
    expect(ref).toMatchObject({
      jobId: JOB,
      attempt: 99_999_999,
      direction: 'down',
      attemptPrefix: `${JOB}/99999999/`,
    });
    expect(() => queueFor(prefix, channelId(JOB, 123_456_789, 'e', 0, 0), 'up')).toThrow(ConfigError);
  });

  it('parses channel ids and rejects other strings', () => {
    expect(parseChannelId(channelId('a/b', 2, 'e7', 3, 4))).toEqual({
      jobId: 'a/b',
      attempt: 2,
      edgeId: 'e7',
      producerSubtask: 3,
      consumerSubtask: 4,
    });
    expect(() => parseChannelId('job/x/e/0-0')).toThrow(ConfigError);
    expect(() => parseChannelId('job/0/e/0_0')).toThrow(ConfigError);
    expect(() => parseChannelId('e/0-0')).toThrow(ConfigError);
  });

  it('checks the prefix like the sqs.queue-prefix option', () => {
    expect(() => assertQueuePrefix('sluice-prod_1')).not.toThrow();
    expect(() => assertQueuePrefix('')).toThrow(ConfigError);
    expect(() => assertQueuePrefix('with.dot')).toThrow(ConfigError);
    expect(() => assertQueuePrefix('x'.repeat(41))).toThrow(ConfigError);
  });

  it('uses the channel id as message group and with the sequence number as deduplication id', () => {
    const id = channelId(JOB, 0, 'e1', 0, 1);
    expect(messageGroupId(id)).toBe(id);
    expect(deduplicationId(id, 42)).toBe(`${id}:42`);
    // Ids SQS would refuse (too long, spaces) are hashed, still distinct per channel and seq.
    const odd = channelId(`job with spaces ${'x'.repeat(120)}`, 0, 'e', 0, 0);
    expect(messageGroupId(odd)).toMatch(/^h[0-9a-f]{64}$/);
    expect(deduplicationId(odd, 1)).not.toBe(deduplicationId(odd, 2));
    expect(deduplicationId(odd, 1).length).toBeLessThanOrEqual(128);
  });
});
