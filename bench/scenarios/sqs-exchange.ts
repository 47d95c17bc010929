import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { DEFAULT_NETWORK_SETTINGS } from '../../runtime/minicluster/mini-cluster';
import type { DownstreamMessage, UpstreamMessage } from '../../runtime/network/channel-protocol';
import { channelId } from '../../runtime/graph/channel-id';
import { decodeBatch, encodeBatch } from '../../runtime/network/record-batch-codec';
import { SqsExchange } from '../../runtime/network/sqs/sqs-exchange';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION, startFauxqs } from '../../test/helpers/fauxqs';
import type { Measurement } from './measure';
import { expectCount, measure } from './measure';

/**
 * The SQS exchange against SQS itself, on a local fauxqs emulator (started and stopped here):
 *
 * - `sqs-exchange/sluice`: records, msgpack-batched into ~32 KiB buffers as a task's output
 *   channel does, go from a producer port through one SqsExchange, a FIFO queue and a second
 *   SqsExchange into a consumer port, which decodes them and returns one credit per buffer
 *   (initial credit as real tasks grant, credits travelling back over SQS).
 * - `sqs-exchange/raw-sqs-batch`: the same buffers, base64 in messages of the same size, moved
 *   by a bare loop: SendMessageBatch into one FIFO message group, ReceiveMessage, decode,
 *   DeleteMessageBatch, with no flow control. What SQS allows at best for the same bytes.
 *
 * The ratio of the two is the exchange's overhead (credits over SQS, envelopes, ordering).
 */
export async function sqsExchangeBench(records: number): Promise<Measurement[]> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const server = await startFauxqs();
  try {
    const batches = makeBatches(records);
    const warmUp = makeBatches(Math.min(records, 20_000));
    await throughExchange(server.endpoint, warmUp, 'warm');
    await rawLoop(server.endpoint, warmUp, 'warm');
    return [
      await measure('sqs-exchange/sluice', records, async () =>
        expectCount('sqs exchange', await throughExchange(server.endpoint, batches, 'bench'), records),
      ),
      await measure('sqs-exchange/raw-sqs-batch', records, async () =>
        expectCount('raw sqs', await rawLoop(server.endpoint, batches, 'bench'), records),
      ),
    ];
  } finally {
    await server.stop();
  }
}

/** Small records (id, key, value), as a keyed job's exchange would carry them. */
function makeBatches(records: number): ArrayBuffer[] {
  const perBatch = 2048; // ~32 KiB of msgpack at ~16 bytes a record
  const batches: ArrayBuffer[] = [];
  for (let start = 0; start < records; start += perBatch) {
    const batch: unknown[] = [];
    for (let i = start; i < Math.min(records, start + perBatch); i++) {
      batch.push([i, `key-${i % 5000}`, i * 3]);
    }
    batches.push(encodeBatch(batch));
  }
  return batches;
}

/** Relays `batches` through two exchanges; resolves with the records the consumer decoded. */
async function throughExchange(endpoint: string, batches: ArrayBuffer[], tag: string): Promise<number> {
  const options = {
    endpoint,
    region: FAUXQS_REGION,
    credentials: FAUXQS_CREDENTIALS,
    queuePrefix: `bench-${tag}`,
    waitTimeSeconds: 1,
  };
  const a = new SqsExchange({ ...options, taskManagerId: 'tm-a' });
  const b = new SqsExchange({ ...options, taskManagerId: 'tm-b' });
  const id = channelId(`${tag}${Date.now()}`, 0, 'e', 0, 0);
  const producer = new MessageChannel();
  const consumer = new MessageChannel();
  try {
    a.connectProducerChannel(id, producer.port2, { taskManagerId: 'tm-b', host: '', port: 0 });
    b.registerConsumerChannel(id, consumer.port2, { taskManagerId: 'tm-a', host: '', port: 0 });
    return await relay(producer.port1, consumer.port1, batches);
  } finally {
    producer.port1.close();
    consumer.port1.close();
    await a.deleteQueuesForJob(id.split('/')[0]!);
    await Promise.all([a.close(), b.close()]);
  }
}

/** Producer sends a buffer only on credit; consumer decodes, grants the initial credit and one per buffer. */
function relay(producer: MessagePort, consumer: MessagePort, batches: ArrayBuffer[]): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    let records = 0;
    let credit = 0;
    producer.on('message', (m: UpstreamMessage) => {
      if (m.t === 'credit') credit += m.n;
      while (credit > 0 && sent < batches.length) {
        credit--;
        const buf = batches[sent++]!.slice(0); // the exchange takes the buffer over
        producer.postMessage({ t: 'data', buf, n: 0 } satisfies DownstreamMessage, [buf]);
      }
    });
    consumer.on('message', (m: DownstreamMessage) => {
      if (m.t !== 'data') return;
      records += decodeBatch(m.buf).length;
      consumer.postMessage({ t: 'credit', n: 1 } satisfies UpstreamMessage);
      if (++received === batches.length) resolve(records);
    });
    consumer.postMessage({
      t: 'credit',
      n: DEFAULT_NETWORK_SETTINGS.initialCredit,
    } satisfies UpstreamMessage);
  });
}

/** The same bytes through a bare batched SQS loop; resolves with the records decoded. */
async function rawLoop(endpoint: string, batches: ArrayBuffer[], tag: string): Promise<number> {
  const sqs = new SQSClient({ endpoint, region: FAUXQS_REGION, credentials: FAUXQS_CREDENTIALS });
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `raw-${tag}-${Date.now()}.fifo`, Attributes: { FifoQueue: 'true' } }),
  );
  const messages = packMessages(batches, 256 * 1024);
  try {
    const [records] = await Promise.all([
      receiveAll(sqs, QueueUrl!, messages.length),
      sendAll(sqs, QueueUrl!, messages),
    ]);
    return records;
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    sqs.destroy();
  }
}

/** Base64 buffers joined by ',' into bodies of at most `maxBytes`, as the exchange packs them. */
function packMessages(batches: ArrayBuffer[], maxBytes: number): string[] {
  const bodies: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const batch of batches) {
    const b64 = Buffer.from(batch).toString('base64');
    if (current.length > 0 && size + b64.length + 1 > maxBytes) {
      bodies.push(current.join(','));
      current = [];
      size = 0;
    }
    current.push(b64);
    size += b64.length + 1;
  }
  if (current.length > 0) bodies.push(current.join(','));
  return bodies;
}

async function sendAll(sqs: SQSClient, url: string, bodies: string[]): Promise<void> {
  let next = 0;
  while (next < bodies.length) {
    const entries = [];
    let bytes = 0;
    while (
      next < bodies.length &&
      entries.length < 10 &&
      (entries.length === 0 || bytes + bodies[next]!.length <= 256 * 1024)
    ) {
      bytes += bodies[next]!.length;
      entries.push({
        Id: `m${entries.length}`,
        MessageBody: bodies[next]!,
        MessageGroupId: 'g',
        MessageDeduplicationId: `d${next}`,
      });
      next++;
    }
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
  }
}

async function receiveAll(sqs: SQSClient, url: string, count: number): Promise<number> {
  let received = 0;
  let records = 0;
  const deletes: Array<Promise<unknown>> = [];
  while (received < count) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const messages = out.Messages ?? [];
    for (const message of messages) {
      for (const b64 of (message.Body ?? '').split(',')) {
        records += decodeBatch(Buffer.from(b64, 'base64')).length;
      }
    }
    received += messages.length;
    if (messages.length > 0) {
      const entries = messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle }));
      // Not awaited before the next receive, as the exchange does: the long poll wakes when the group unlocks.
      deletes.push(sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: entries })));
    }
  }
  await Promise.all(deletes);
  return records;
}
