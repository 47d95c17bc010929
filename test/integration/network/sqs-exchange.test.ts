import { randomBytes } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  SQSClient,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { SluiceError } from '../../../runtime/errors';
import { channelId } from '../../../runtime/graph/channel-id';
import type { PeerAddress } from '../../../runtime/network/exchange-transport';
import { queueFor } from '../../../runtime/network/sqs/queue-names';
import { SqsExchange } from '../../../runtime/network/sqs/sqs-exchange';
import type { SqsExchangeOptions } from '../../../runtime/network/sqs/sqs-exchange';
import { waitFor } from '../../../runtime/util/wait';
import { BUFFER_BYTES, TestConsumer, TestProducer, isPatterned } from '../../helpers/channel-ends';
import type { FauxqsServer } from '../../helpers/fauxqs';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION, startFauxqs } from '../../helpers/fauxqs';

let fauxqs: FauxqsServer;
let raw: SQSClient;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  fauxqs = await startFauxqs();
  raw = sqsClient(fauxqs.endpoint);
});

afterAll(async () => {
  raw.destroy();
  await fauxqs.stop();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function sqsClient(endpoint: string): SQSClient {
  return new SQSClient({ endpoint, region: FAUXQS_REGION, credentials: FAUXQS_CREDENTIALS });
}

interface Node {
  exchange: SqsExchange;
  peer: PeerAddress;
  lost: Array<[string[], SluiceError]>;
}

/** A unique queue prefix per test: tests share one emulator but never each other's queues. */
function uniquePrefix(): string {
  return `t${randomBytes(4).toString('hex')}`;
}

function startNode(
  id: string,
  prefix: string,
  options: Partial<SqsExchangeOptions> = {},
  endpoint = fauxqs.endpoint,
): Node {
  const exchange = new SqsExchange({
    taskManagerId: id,
    endpoint,
    region: FAUXQS_REGION,
    credentials: FAUXQS_CREDENTIALS,
    queuePrefix: prefix,
    waitTimeSeconds: 1,
    ...options,
  });
  cleanups.push(() => exchange.close());
  const lost: Node['lost'] = [];
  exchange.onChannelsLost((ids, error) => lost.push([ids, error]));
  return { exchange, peer: { taskManagerId: id, host: '127.0.0.1', port: 0 }, lost };
}

function pair(options: Partial<SqsExchangeOptions> = {}): { a: Node; b: Node; prefix: string } {
  const prefix = uniquePrefix();
  return { a: startNode('tm-a', prefix, options), b: startNode('tm-b', prefix, options), prefix };
}

/** Wires a producer on `from` to a consumer on `to` for channel `id`. */
function wire(
  from: Node,
  to: Node,
  id: string,
  initialCredit = 4,
  options: { registerConsumer?: boolean; read?: boolean } = {},
) {
  const producer = new TestProducer();
  const consumer = new TestConsumer(initialCredit, options.read ?? true);
  cleanups.push(
    () => producer.close(),
    () => consumer.close(),
  );
  from.exchange.connectProducerChannel(id, producer.far, to.peer);
  if (options.registerConsumer ?? true) to.exchange.registerConsumerChannel(id, consumer.far, from.peer);
  return { producer, consumer };
}

async function queueNames(prefix: string): Promise<string[]> {
  const out = await raw.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
  return (out.QueueUrls ?? []).map((url) => url.slice(url.lastIndexOf('/') + 1)).sort();
}

describe('SqsExchange on fauxqs', () => {
  it('relays records in order with their bytes intact, and credits and eop-ack back', async () => {
    const { a, b } = pair();
    const id = channelId('job1', 0, 'e1', 0, 0);
    const { producer, consumer } = wire(a, b, id, 4);

    await producer.sendBuffers(120);
    producer.sendEvent({ t: 'event', e: { kind: 'barrier', checkpointId: 7, timestamp: 123 } });
    producer.endOfPartition();

    await waitFor(() => producer.eopAcked, { what: 'eop-ack at the producer', timeoutMs: 30_000 });
    expect(consumer.data.map((m) => m.n)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(consumer.data.every((m) => isPatterned(m))).toBe(true);
    expect(consumer.received.slice(-2)).toEqual([
      { t: 'event', e: { kind: 'barrier', checkpointId: 7, timestamp: 123 } },
      { t: 'event', e: { kind: 'end-of-partition' } },
    ]);
    // 4 initial credits + one per buffer read, all relayed back.
    await waitFor(() => producer.creditsReceived === 124, { what: 'all credits back' });
    const sent = a.exchange.stats();
    expect(sent.buffersSent).toBe(120);
    expect(sent.bytesSent).toBeGreaterThan((120 * BUFFER_BYTES * 4) / 3);
    expect(b.exchange.stats().bytesReceived).toBeGreaterThanOrEqual(sent.bytesSent);
    expect(b.exchange.stats().duplicatesDropped).toBe(0);
  });

  it('keeps data and events interleaved in order', async () => {
    const { a, b } = pair();
    const { producer, consumer } = wire(a, b, channelId('job1', 0, 'e1', 0, 0), 100);
    await waitFor(() => producer.credit === 100, { what: 'initial credit' });
    const expected: Array<number | string> = [];
    for (let i = 0; i < 60; i++) {
      producer.sendData(i, 200 + i);
      expected.push(i);
      if (i % 3 === 0) {
        producer.sendEvent({ t: 'event', e: { kind: 'watermark', timestamp: i } });
        expected.push('watermark');
      }
      if (i % 20 === 19) {
        producer.sendEvent({ t: 'event', e: { kind: 'barrier', checkpointId: i, timestamp: i } });
        expected.push('barrier');
      }
    }
    producer.endOfPartition();
    expected.push('end-of-partition');
    await waitFor(() => producer.eopAcked, { what: 'eop-ack', timeoutMs: 30_000 });
    expect(consumer.sequence).toEqual(expected);
    expect(consumer.data.every((m) => isPatterned(m, 200 + m.n))).toBe(true);
    // Small buffers share messages: far fewer SQS messages than channel messages.
    expect(a.exchange.stats().messagesSent).toBeLessThan(20);
  });

  it('relays many channels both ways, several sharing a consumer queue', async () => {
    const { a, b } = pair();
    const pairs: Array<ReturnType<typeof wire>> = [];
    // Edge e: 4 producers on a, consumers 0 and 1 on b (two downstream queues, 4 channels each).
    for (let p = 0; p < 4; p++) {
      for (let c = 0; c < 2; c++) pairs.push(wire(a, b, channelId('jobA', 0, 'e', p, c), 2));
    }
    // Edge f the other way.
    for (let p = 0; p < 3; p++) pairs.push(wire(b, a, channelId('jobA', 0, 'f', p, 0), 2));
    await Promise.all(pairs.map(({ producer }) => producer.sendBuffers(8, 1024)));
    for (const { producer } of pairs) producer.endOfPartition();
    await waitFor(() => pairs.every(({ producer }) => producer.eopAcked), {
      what: 'all channels done',
      timeoutMs: 30_000,
    });
    for (const { consumer } of pairs) {
      expect(consumer.sequence).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 'end-of-partition']);
      expect(consumer.data.every((m) => isPatterned(m, 1024))).toBe(true);
    }
  });

  it('keeps what was sent before the consumer registered, in the queue, and delivers it in order', async () => {
    const { a, b } = pair();
    const id = channelId('job1', 0, 'e1', 1, 2);
    const { producer, consumer } = wire(a, b, id, 0, { registerConsumer: false });
    for (let i = 0; i < 3; i++) producer.sendData(i);
    producer.sendEvent({ t: 'event', e: { kind: 'watermark', timestamp: 99 } });
    await waitFor(() => a.exchange.stats().buffersSent === 3, { what: 'buffers in the queue' });
    expect(b.exchange.stats().messagesReceived).toBe(0);

    b.exchange.registerConsumerChannel(id, consumer.far, a.peer);
    producer.sendData(3);
    await waitFor(() => consumer.received.length === 5, {
      what: 'queued and new messages',
      timeoutMs: 20_000,
    });
    expect(consumer.sequence).toEqual([0, 1, 2, 'watermark', 3]);
    expect(consumer.data.every((m) => isPatterned(m))).toBe(true);
    await waitFor(() => producer.creditsReceived === 4, { what: 'credits for the buffers read' });
  });

  it('sends no more than the consumer granted while the consumer does not read', async () => {
    const { a, b } = pair({ maxInFlightSends: 3 });
    const id = channelId('job1', 0, 'e1', 0, 0);
    const { producer, consumer } = wire(a, b, id, 8, { read: false });
    const sending = producer.sendBuffers(1000);
    await waitFor(() => consumer.data.length === 8, { what: '8 buffers', timeoutMs: 20_000 });
    // Give a credit-ignoring transport time to run away; it must not.
    await waitFor(() => b.exchange.stats().receiveCalls >= b.exchange.stats().messagesReceived + 3, {
      what: 'idle polls',
    });
    expect(producer.credit).toBe(0);
    expect(a.exchange.stats().buffersSent).toBe(8);
    expect(consumer.data).toHaveLength(8);
    expect(a.exchange.stats().peakInFlightSends).toBeLessThanOrEqual(3);
    producer.close();
    await sending;
  });

  it('bounds SendMessageBatch calls in flight across channels and queues', async () => {
    const { a, b } = pair({ maxInFlightSends: 2 });
    const pairs: Array<ReturnType<typeof wire>> = [];
    for (let c = 0; c < 6; c++) {
      for (let p = 0; p < 2; p++) pairs.push(wire(a, b, channelId('job1', 0, 'e', p, c), 8));
    }
    await Promise.all(pairs.map(({ producer }) => producer.sendBuffers(16, 4096)));
    await waitFor(() => pairs.every(({ consumer }) => consumer.data.length === 16), {
      what: 'all delivered',
      timeoutMs: 30_000,
    });
    for (const { consumer } of pairs) expect(consumer.data.map((m) => m.n)).toEqual([...Array(16).keys()]);
    expect(a.exchange.stats().peakInFlightSends).toBe(2);
  });

  it('splits buffers bigger than a message and puts them back together', async () => {
    const { a, b } = pair();
    const { producer, consumer } = wire(a, b, channelId('job1', 0, 'e1', 0, 0), 10);
    const sizes = [1024 * 1024 + 5, 300 * 1024, 3, 256 * 1024, 0, 700 * 1024 + 1];
    await waitFor(() => producer.credit === 10, { what: 'credit' });
    sizes.forEach((size, i) => producer.sendData(i, size));
    await waitFor(() => consumer.data.length === sizes.length, { what: 'all buffers', timeoutMs: 30_000 });
    expect(consumer.data.map((m) => m.buf.byteLength)).toEqual(sizes);
    expect(consumer.data.every((m, i) => m.n === i && isPatterned(m, sizes[i]))).toBe(true);
    // 2.25 MiB of payload in 256 KiB messages (base64: 4/3) needs at least 12 messages.
    expect(a.exchange.stats().messagesSent).toBeGreaterThanOrEqual(12);
  });

  it('honours a small message size limit with 32 KiB buffers', async () => {
    const { a, b } = pair({ maxMessageBytes: 8 * 1024, maxBatchBytes: 64 * 1024 });
    const { producer, consumer } = wire(a, b, channelId('job1', 0, 'e1', 0, 0), 4);
    await producer.sendBuffers(10);
    await waitFor(() => consumer.data.length === 10, { what: 'all buffers', timeoutMs: 30_000 });
    expect(consumer.data.every((m, i) => m.n === i && isPatterned(m))).toBe(true);
    expect(a.exchange.stats().messagesSent).toBeGreaterThanOrEqual(60);
  });

  it('drops messages of released channels and serves the next attempt on new queues', async () => {
    const { a, b, prefix } = pair();
    const kept = wire(a, b, channelId('job1', 1, 'e1', 0, 0), 4);
    const dropped = wire(a, b, channelId('job1', 1, 'e1', 1, 0), 4);
    await Promise.all([kept.producer.sendBuffers(2, 100), dropped.producer.sendBuffers(2, 100)]);
    await waitFor(() => kept.consumer.data.length === 2 && dropped.consumer.data.length === 2, {
      what: 'attempt 1 data',
    });

    // One channel of the shared consumer queue is released; its later messages are dropped.
    b.exchange.releaseChannel(channelId('job1', 1, 'e1', 1, 0));
    dropped.producer.sendData(2, 100);
    kept.producer.sendData(2, 100);
    await waitFor(() => kept.consumer.data.length === 3, { what: 'kept channel still served' });
    await waitFor(() => b.exchange.stats().staleDropped >= 1, { what: 'stale drop' });
    expect(dropped.consumer.data).toHaveLength(2);

    // The attempt is released on b: its inbound queue goes, a's producers of it are lost.
    const attempt1 = queueFor(prefix, channelId('job1', 1, 'e1', 0, 0), 'down').name;
    expect(await queueNames(prefix)).toContain(attempt1);
    b.exchange.releaseChannelsWithPrefix('job1/1/');
    await waitFor(async () => !(await queueNames(prefix)).includes(attempt1), {
      what: 'attempt 1 queue deleted',
    });
    kept.producer.sendData(3, 100);
    await waitFor(() => a.lost.length > 0, { what: 'attempt 1 channel lost at a' });
    expect(a.lost[0]![0]).toContain(channelId('job1', 1, 'e1', 0, 0));
    expect(kept.consumer.data).toHaveLength(3);

    const next = wire(a, b, channelId('job1', 2, 'e1', 0, 0), 4);
    expect(queueFor(prefix, channelId('job1', 2, 'e1', 0, 0), 'down').name).not.toBe(attempt1);
    await next.producer.sendBuffers(5, 100);
    await waitFor(() => next.consumer.data.length === 5, { what: 'attempt 2 data' });
    expect(next.consumer.data.map((m) => m.n)).toEqual([0, 1, 2, 3, 4]);
    expect(b.lost).toEqual([]);
  });

  it('drops redelivered, foreign and malformed messages on a queue', async () => {
    const { a, b, prefix } = pair();
    const id = channelId('job1', 0, 'e1', 0, 0);
    const { producer, consumer } = wire(a, b, id, 8);
    await producer.sendBuffers(3, 64);
    await waitFor(() => consumer.data.length === 3, { what: 'first buffers' });
    const { QueueUrl } = await raw.send(
      new GetQueueUrlCommand({ QueueName: queueFor(prefix, id, 'down').name }),
    );
    const envelope = (c: string, s: number, n: number): string =>
      JSON.stringify({ v: 1, c, s, m: [{ t: 'data', n, b: Buffer.from([1, 2, 3]).toString('base64') }] });
    const bodies = [
      envelope(id, 0, 900), // a redelivery of message 0 (its delete had failed, say)
      envelope(channelId('job1', 0, 'e9', 0, 0), 0, 901), // a channel of another queue
      'not json at all',
      JSON.stringify({ v: 99, c: id, s: 1, m: [] }),
    ];
    await raw.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: bodies.map((body, i) => ({
          Id: `x${i}`,
          MessageBody: body,
          MessageGroupId: `g${i}`,
          MessageDeduplicationId: `x${i}`,
        })),
      }),
    );
    await waitFor(
      () => b.exchange.stats().malformedDropped === 3 && b.exchange.stats().duplicatesDropped === 1,
      { what: 'drops' },
    );
    await producer.sendBuffers(2, 64, 3);
    await waitFor(() => consumer.data.length === 5, { what: 'later buffers' });
    expect(consumer.data.map((m) => m.n)).toEqual([0, 1, 2, 3, 4]);
    expect(b.lost).toEqual([]);
  });

  it('holds credits that arrive before their producer channel is connected', async () => {
    const { a, b } = pair();
    // Producer subtask 0 of edge e feeds consumers 0 and 1: both channels share one upstream queue.
    const first = wire(a, b, channelId('job1', 0, 'e', 0, 0), 3);
    const late = { producer: new TestProducer(), consumer: new TestConsumer(5) };
    cleanups.push(
      () => late.producer.close(),
      () => late.consumer.close(),
    );
    b.exchange.registerConsumerChannel(channelId('job1', 0, 'e', 0, 1), late.consumer.far, a.peer);
    await waitFor(() => first.producer.credit === 3, { what: 'credit of the connected channel' });
    await waitFor(() => a.exchange.stats().messagesReceived >= 2, { what: 'the early credit at a' });
    a.exchange.connectProducerChannel(channelId('job1', 0, 'e', 0, 1), late.producer.far, b.peer);
    await waitFor(() => late.producer.credit === 5, { what: 'early credit delivered on connect' });
    await late.producer.sendBuffers(7, 128);
    await waitFor(() => late.consumer.data.length === 7, { what: 'late channel data' });
  });

  it('stops reading a producer port that runs ahead of SQS, and resumes as it drains', async () => {
    const { a, b } = pair({ maxPendingBytesPerChannel: 64 * 1024, maxInFlightSends: 1 });
    const { producer, consumer } = wire(a, b, channelId('job1', 0, 'e1', 0, 0), 60);
    await waitFor(() => producer.credit === 60, { what: 'credit' });
    for (let i = 0; i < 60; i++) producer.sendData(i);
    await waitFor(() => consumer.data.length === 60, { what: 'all buffers', timeoutMs: 30_000 });
    expect(consumer.data.every((m, i) => m.n === i && isPatterned(m))).toBe(true);
    expect(a.exchange.stats().portPauses).toBeGreaterThanOrEqual(1);
    expect(a.exchange.stats().pausedChannels).toBe(0);
  });

  it('holds at most the pending bound of a producer while SQS is unreachable', async () => {
    const own = await startFauxqs();
    cleanups.push(() => own.stop());
    const prefix = uniquePrefix();
    const options = {
      maxPendingBytesPerChannel: 128 * 1024,
      maxAttempts: 1000,
      retryBaseMs: 50,
      retryMaxMs: 100,
    };
    const a = startNode('tm-a', prefix, options, own.endpoint);
    const b = startNode('tm-b', prefix, options, own.endpoint);
    const { producer, consumer } = wire(a, b, channelId('job1', 0, 'e1', 0, 0), 4);
    await producer.sendBuffers(1);
    await waitFor(() => consumer.data.length === 1, { what: 'first buffer' });
    await own.stop();
    for (let i = 1; i < 200; i++) producer.sendData(i); // ignores credit: a runaway producer
    await waitFor(() => a.exchange.stats().pausedChannels === 1, { what: 'port paused' });
    const { unsentBytes } = a.exchange.stats();
    // The bound plus the one buffer that crossed it (base64), not 200 buffers.
    expect(unsentBytes).toBeGreaterThan(128 * 1024);
    expect(unsentBytes).toBeLessThan(128 * 1024 + (BUFFER_BYTES * 4) / 3 + 1024);
    expect(a.exchange.stats().buffersSent).toBe(1);
  });

  it('deletes its queues once channels finished, and deleteQueuesForJob removes the rest', async () => {
    const { a, b, prefix } = pair();
    const done = [
      wire(a, b, channelId('jobD', 0, 'e', 0, 0), 2),
      wire(b, a, channelId('jobD', 0, 'f', 0, 0), 2),
    ];
    await Promise.all(done.map(({ producer }) => producer.sendBuffers(3, 512)));
    for (const { producer } of done) producer.endOfPartition();
    await waitFor(() => done.every(({ producer }) => producer.eopAcked), { what: 'eop-acks' });
    expect(await queueNames(prefix)).toHaveLength(4);
    // Tasks finish: the producer after its eop-ack, the consumer after acking.
    for (const { producer, consumer } of done) {
      producer.close();
      consumer.close();
    }
    await waitFor(async () => (await queueNames(prefix)).length === 0, {
      what: 'queues of finished channels deleted',
    });

    // A job whose consumer never came: its queues stay until the job is cleaned up.
    const sentBefore = a.exchange.stats().buffersSent;
    wire(a, b, channelId('jobE', 0, 'e', 0, 0), 0, { registerConsumer: false }).producer.sendData(0, 10);
    wire(a, b, channelId('jobF', 0, 'e', 0, 0), 0, { registerConsumer: false }).producer.sendData(0, 10);
    await waitFor(() => a.exchange.stats().buffersSent === sentBefore + 2, { what: 'sent' });
    expect(await queueNames(prefix)).toHaveLength(4);
    expect(await b.exchange.deleteQueuesForJob('jobE')).toBe(2);
    expect(await queueNames(prefix)).toHaveLength(2);
    expect(await a.exchange.deleteQueuesForJob('jobF')).toBe(2);
    expect(await queueNames(prefix)).toEqual([]);
  });

  it('reports the channels of a queue that disappears', async () => {
    const { a, b, prefix } = pair();
    const id = channelId('job1', 0, 'e1', 0, 0);
    const { producer, consumer } = wire(a, b, id, 4);
    await producer.sendBuffers(2, 100);
    await waitFor(() => consumer.data.length === 2, { what: 'data' });
    const name = queueFor(prefix, id, 'down').name;
    const { QueueUrl } = await raw.send(new GetQueueUrlCommand({ QueueName: name }));
    await raw.send(new DeleteQueueCommand({ QueueUrl }));
    await waitFor(() => b.lost.length > 0, { what: 'consumer side lost' });
    expect(b.lost[0]![0]).toEqual([id]);
    expect(b.lost[0]![1]).toMatchObject({ code: 'SLUICE_NETWORK', awsError: 'QueueDoesNotExist' });
  });

  it('reports channels lost when SQS keeps failing after the retries', async () => {
    const own = await startFauxqs();
    cleanups.push(() => own.stop());
    const prefix = uniquePrefix();
    const options = { maxAttempts: 2, retryBaseMs: 10, retryMaxMs: 20 };
    const a = startNode('tm-a', prefix, options, own.endpoint);
    const b = startNode('tm-b', prefix, options, own.endpoint);
    const id = channelId('job1', 0, 'e1', 0, 0);
    const { producer, consumer } = wire(a, b, id, 4);
    await producer.sendBuffers(1, 100);
    await waitFor(() => consumer.data.length === 1, { what: 'data' });
    await own.stop();
    producer.sendData(1, 100);
    await waitFor(() => a.lost.length > 0 && b.lost.length > 0, {
      what: 'both sides lost',
      timeoutMs: 20_000,
    });
    expect(a.lost.flatMap(([ids]) => ids)).toContain(id);
    expect(b.lost.flatMap(([ids]) => ids)).toContain(id);
  });
});

describe('SqsExchange dead-letter queue', () => {
  it('creates its queues with the configured dead-letter queue as redrive target', async () => {
    const prefix = uniquePrefix();
    const dlq = await raw.send(
      new CreateQueueCommand({ QueueName: `${prefix}-dlq.fifo`, Attributes: { FifoQueue: 'true' } }),
    );
    const dlqArn = (
      await raw.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    const a = startNode('tm-a', prefix, { deadLetterQueueArn: dlqArn });
    const b = startNode('tm-b', prefix, { deadLetterQueueArn: dlqArn });
    const { producer } = wire(a, b, channelId('jobdlq', 0, 'e1', 0, 0), 4);
    await producer.sendBuffers(2);
    const exchangeQueues = await waitFor(
      async () => {
        const names = (await queueNames(prefix)).filter((n) => !n.endsWith('-dlq.fifo'));
        return names.length > 0 ? names : undefined;
      },
      { what: 'the exchange queues' },
    );
    for (const name of exchangeQueues) {
      const url = (await raw.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
      const attributes = await raw.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }),
      );
      expect(JSON.parse(attributes.Attributes!.RedrivePolicy!)).toMatchObject({
        deadLetterTargetArn: dlqArn,
      });
    }
  });
});
