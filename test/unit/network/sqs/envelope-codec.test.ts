import type { DownstreamMessage } from '../../../../runtime/network/channel-protocol';
import { ChannelOutbox } from '../../../../runtime/network/sqs/channel-outbox';
import {
  decodeDownstreamItem,
  decodeEnvelope,
  decodeUpstreamItem,
  encodeDownstream,
  encodeUpstream,
} from '../../../../runtime/network/sqs/envelope-codec';
import { SqsEnvelopeError } from '../../../../runtime/network/sqs/sqs-errors';

const ID = 'job/0/e1/0-1';

function bytes(length: number, seed: number): ArrayBuffer {
  const view = new Uint8Array(length);
  for (let i = 0; i < length; i++) view[i] = (i * 7 + seed) & 0xff;
  return view.buffer;
}

/** Pushes `messages` through an outbox and decodes every packed body back. */
function roundTrip(messages: DownstreamMessage[], maxMessageBytes: number) {
  const outbox = new ChannelOutbox(ID, maxMessageBytes, () => undefined);
  for (const message of messages) {
    for (const item of encodeDownstream(message, outbox.maxItemBytes)) outbox.push(item);
  }
  const bodies: string[] = [];
  while (!outbox.idle) {
    bodies.push(outbox.take().body);
    outbox.sent();
  }
  const fragments: Buffer[] = [];
  const out: DownstreamMessage[] = [];
  bodies.forEach((body, seq) => {
    const envelope = decodeEnvelope(body);
    expect(envelope.c).toBe(ID);
    expect(envelope.s).toBe(seq);
    for (const item of envelope.m) {
      const message = decodeDownstreamItem(item, fragments);
      if (message) out.push(message);
    }
  });
  return { bodies, out };
}

describe('SQS exchange envelopes', () => {
  it('packs small buffers and events into shared messages, in order, within the size limit', () => {
    const messages: DownstreamMessage[] = [];
    for (let i = 0; i < 50; i++) {
      messages.push({ t: 'data', buf: bytes(1000 + i, i), n: i });
      if (i % 10 === 0) messages.push({ t: 'event', e: { kind: 'watermark', timestamp: i } });
    }
    const copies = messages.map((m) => (m.t === 'data' ? Buffer.from(m.buf) : m));
    const { bodies, out } = roundTrip(messages, 16 * 1024);
    expect(bodies.length).toBeLessThan(10);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(16 * 1024);
    expect(out).toHaveLength(messages.length);
    out.forEach((m, i) => {
      const expected = copies[i]!;
      if (m.t === 'data') expect(Buffer.from(m.buf).equals(expected as Buffer)).toBe(true);
      else expect(m).toEqual(expected);
    });
  });

  it('splits a buffer bigger than a message into fragments and joins them, in its own ArrayBuffer', () => {
    const big = bytes(100_000, 3);
    const copy = Buffer.from(big);
    const { bodies, out } = roundTrip(
      [
        { t: 'data', buf: big, n: 77 },
        { t: 'event', e: { kind: 'end-of-partition' } },
      ],
      8 * 1024,
    );
    expect(bodies.length).toBeGreaterThanOrEqual(Math.ceil((100_000 * 4) / 3 / (8 * 1024)));
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(8 * 1024);
    const data = out[0] as Extract<DownstreamMessage, { t: 'data' }>;
    expect(data.n).toBe(77);
    expect(Buffer.from(data.buf).equals(copy)).toBe(true);
    expect(data.buf.byteLength).toBe(100_000);
    expect(out[1]).toEqual({ t: 'event', e: { kind: 'end-of-partition' } });
  });

  it('decodes small buffers into transferable ArrayBuffers of their own', () => {
    const { out } = roundTrip(
      [
        { t: 'data', buf: bytes(10, 1), n: 1 },
        { t: 'data', buf: bytes(0, 1), n: 0 },
      ],
      4096,
    );
    for (const message of out) {
      const data = message as Extract<DownstreamMessage, { t: 'data' }>;
      // Not a slice of Node's shared Buffer pool (transferring that would detach the pool).
      expect(data.buf.byteLength).toBe(data.n === 1 ? 10 : 0);
    }
  });

  it('merges credits that wait and keeps eop-ack after them', () => {
    const outbox = new ChannelOutbox(ID, 4096, () => undefined);
    outbox.pushCredit(4);
    outbox.pushCredit(1);
    outbox.pushCredit(1);
    outbox.push(encodeUpstream({ t: 'eop-ack' }));
    outbox.pushCredit(2);
    const envelope = decodeEnvelope(outbox.take().body);
    expect(envelope.m.map(decodeUpstreamItem)).toEqual([
      { t: 'credit', n: 6 },
      { t: 'eop-ack' },
      { t: 'credit', n: 2 },
    ]);
    expect(outbox.pendingBytes).toBe(0);
  });

  it('keeps the sequence number and body of a message until it was sent', () => {
    const outbox = new ChannelOutbox(ID, 4096, () => undefined);
    outbox.pushCredit(1);
    const first = outbox.take();
    outbox.pushCredit(1);
    expect(outbox.take()).toBe(first); // a retry resends the same message
    outbox.sent();
    expect(outbox.take().seq).toBe(first.seq + 1);
  });

  it('rejects bodies that are not envelopes and items of the wrong direction', () => {
    expect(() => decodeEnvelope('nope')).toThrow(SqsEnvelopeError);
    expect(() => decodeEnvelope(JSON.stringify({ v: 2, c: ID, s: 0, m: [] }))).toThrow(SqsEnvelopeError);
    expect(() => decodeEnvelope(JSON.stringify({ v: 1, c: ID, s: 0.5, m: [] }))).toThrow(SqsEnvelopeError);
    expect(() => decodeDownstreamItem({ t: 'credit', n: 1 }, [])).toThrow(SqsEnvelopeError);
    expect(() => decodeUpstreamItem({ t: 'data', n: 1, b: '' })).toThrow(SqsEnvelopeError);
    expect(() => decodeDownstreamItem({ t: 'data', n: 1, b: '!!!!' }, [])).toThrow(SqsEnvelopeError);
  });
});
