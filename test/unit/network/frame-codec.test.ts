import { randomBytes } from 'node:crypto';
import type { DownstreamMessage, UpstreamMessage } from '../../../runtime/network/channel-protocol';
import {
  decodeChannelMessage,
  encodeChannelMessage,
  encodeDataFrame,
} from '../../../runtime/network/tcp/channel-frames';
import {
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FrameType,
  encodeControlFrame,
  encodeMessageFrame,
} from '../../../runtime/wire/frame-codec';
import type { Frame } from '../../../runtime/wire/frame-codec';
import { FrameFormatError, FrameTooLargeError } from '../../../runtime/wire/wire-errors';

const MAX = 1024 * 1024;

function drain(decoder: FrameDecoder): Frame[] {
  const frames: Frame[] = [];
  for (let frame = decoder.next(); frame; frame = decoder.next()) frames.push(frame);
  return frames;
}

function bytesOf(buf: ArrayBuffer): number[] {
  return [...new Uint8Array(buf)];
}

/** A varied stream: data frames of several sizes, events, credits, eop-ack, control frames. */
function sampleStream(): {
  wire: Buffer;
  expected: Array<{ channelId: string; message?: DownstreamMessage | UpstreamMessage; type: FrameType }>;
} {
  const expected: Array<{
    channelId: string;
    message?: DownstreamMessage | UpstreamMessage;
    type: FrameType;
  }> = [];
  const parts: Buffer[] = [];
  const add = (channelId: string, message: DownstreamMessage | UpstreamMessage, type: FrameType): void => {
    // Encode a copy: the codec writes `buf` by reference.
    const copy = message.t === 'data' ? { ...message, buf: message.buf.slice(0) } : message;
    parts.push(...encodeChannelMessage(channelId, copy, MAX));
    expected.push({ channelId, message, type });
  };
  add('job/0/e1/0-1', { t: 'data', buf: new Uint8Array(randomBytes(5000)).buffer, n: 17 }, FrameType.DATA);
  add(
    'job/0/e1/0-1',
    { t: 'event', e: { kind: 'barrier', checkpointId: 3, timestamp: 1_700_000_000_000 } },
    FrameType.EVENT,
  );
  add('jöb/0/ë/1-0', { t: 'data', buf: new Uint8Array(randomBytes(3)).buffer, n: 1 }, FrameType.DATA);
  add('job/0/e1/0-1', { t: 'credit', n: 4 }, FrameType.CREDIT);
  add('job/0/e1/0-1', { t: 'data', buf: new ArrayBuffer(0), n: 0 }, FrameType.DATA);
  add('job/0/e1/0-1', { t: 'event', e: { kind: 'watermark', timestamp: 42 } }, FrameType.EVENT);
  add('job/0/e1/0-1', { t: 'eop-ack' }, FrameType.EOP_ACK);
  add('job/0/e2/3-3', { t: 'data', buf: new Uint8Array(randomBytes(70_000)).buffer, n: 900 }, FrameType.DATA);
  add('job/0/e1/0-1', { t: 'event', e: { kind: 'end-of-partition' } }, FrameType.EVENT);
  parts.push(encodeControlFrame(FrameType.CLOSE_CHANNEL, 'job/0/e1/0-1', MAX));
  expected.push({ channelId: 'job/0/e1/0-1', type: FrameType.CLOSE_CHANNEL });
  return { wire: Buffer.concat(parts), expected };
}

function assertStream(frames: Frame[], expected: ReturnType<typeof sampleStream>['expected']): void {
  expect(frames.map((f) => [f.type, f.channelId])).toEqual(expected.map((e) => [e.type, e.channelId]));
  frames.forEach((frame, i) => {
    const want = expected[i]?.message;
    if (!want) return expect(frame.payload.length).toBe(0);
    const got = decodeChannelMessage(frame);
    if (want.t === 'data' && got.t === 'data') {
      expect(got.n).toBe(want.n);
      expect(got.buf.byteLength).toBe(want.buf.byteLength);
      expect(Buffer.from(got.buf).equals(Buffer.from(want.buf))).toBe(true);
    } else {
      expect(got).toEqual(want);
    }
  });
}

describe('frame codec', () => {
  it('round-trips every channel message type', () => {
    const { wire, expected } = sampleStream();
    const decoder = new FrameDecoder(MAX);
    decoder.push(wire);
    assertStream(drain(decoder), expected);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('lays out a DATA frame as [len][type][idLen][id][n][bytes]', () => {
    const parts = encodeDataFrame('ab', new Uint8Array([9, 8, 7]).buffer, 5, MAX);
    const wire = Buffer.concat(parts);
    expect(wire.readUInt32BE(0)).toBe(wire.length);
    expect(wire.length).toBe(FRAME_HEADER_BYTES + 2 + 4 + 3);
    expect(wire[4]).toBe(FrameType.DATA);
    expect(wire.readUInt16BE(5)).toBe(2);
    expect(wire.toString('utf8', 7, 9)).toBe('ab');
    expect(wire.readUInt32BE(9)).toBe(5);
    expect([...wire.subarray(13)]).toEqual([9, 8, 7]);
  });

  it('gives each decoded data batch its own ArrayBuffer, safe to transfer', () => {
    const decoder = new FrameDecoder(MAX);
    const a = new Uint8Array([1, 2, 3]).buffer;
    const b = new Uint8Array([4, 5]).buffer;
    decoder.push(Buffer.concat([...encodeDataFrame('c', a, 3, MAX), ...encodeDataFrame('c', b, 2, MAX)]));
    const [first, second] = drain(decoder).map(decodeChannelMessage);
    if (first?.t !== 'data' || second?.t !== 'data') throw new Error('expected two data messages');
    expect(first.buf).not.toBe(second.buf);
    expect(bytesOf(first.buf)).toEqual([1, 2, 3]);
    expect(bytesOf(second.buf)).toEqual([4, 5]);
    structuredClone(first.buf, { transfer: [first.buf] });
    expect(bytesOf(second.buf)).toEqual([4, 5]);
  });

  it('decodes a stream fed one byte at a time', () => {
    const { wire, expected } = sampleStream();
    const decoder = new FrameDecoder(MAX);
    const frames: Frame[] = [];
    for (let i = 0; i < wire.length; i++) {
      decoder.push(wire.subarray(i, i + 1));
      frames.push(...drain(decoder));
    }
    assertStream(frames, expected);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes frames split across and merged within random chunks', () => {
    const { wire, expected } = sampleStream();
    for (let round = 0; round < 20; round++) {
      const decoder = new FrameDecoder(MAX);
      const frames: Frame[] = [];
      for (let offset = 0; offset < wire.length;) {
        const size = 1 + Math.floor(Math.random() * (round % 2 === 0 ? 64 : 40_000));
        decoder.push(wire.subarray(offset, offset + size));
        offset += size;
        frames.push(...drain(decoder));
      }
      assertStream(frames, expected);
    }
  });

  it('waits for a frame whose length prefix is split across chunks', () => {
    const wire = encodeMessageFrame(FrameType.CREDIT, 'x', { t: 'credit', n: 1 }, MAX);
    const decoder = new FrameDecoder(MAX);
    decoder.push(wire.subarray(0, 2));
    expect(decoder.next()).toBeUndefined();
    decoder.push(wire.subarray(2, 5));
    expect(decoder.next()).toBeUndefined();
    decoder.push(wire.subarray(5));
    expect(decoder.next()?.type).toBe(FrameType.CREDIT);
    expect(decoder.next()).toBeUndefined();
  });

  it('rejects an oversized frame as soon as its length prefix arrives', () => {
    const big = Buffer.concat(encodeDataFrame('c', new ArrayBuffer(5000), 1, MAX));
    const decoder = new FrameDecoder(4096);
    decoder.push(big.subarray(0, 4));
    let error: unknown;
    try {
      decoder.next();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect((error as FrameTooLargeError).frameBytes).toBe(big.length);
    expect((error as FrameTooLargeError).maxFrameBytes).toBe(4096);
    expect((error as Error).message).toMatch(/exceeds the maximum of 4096 bytes/);
  });

  it('refuses to encode a frame over the maximum', () => {
    expect(() => encodeDataFrame('c', new ArrayBuffer(5000), 1, 4096)).toThrow(FrameTooLargeError);
  });

  it('rejects malformed frames', () => {
    const tooShort = Buffer.alloc(8);
    tooShort.writeUInt32BE(3, 0);
    const shortDecoder = new FrameDecoder(MAX);
    shortDecoder.push(tooShort);
    expect(() => shortDecoder.next()).toThrow(FrameFormatError);

    const unknownType = encodeControlFrame(FrameType.OPEN_CHANNEL, 'c', MAX);
    unknownType[4] = 200;
    const typeDecoder = new FrameDecoder(MAX);
    typeDecoder.push(unknownType);
    expect(() => typeDecoder.next()).toThrow(/unknown frame type 200/);

    const overrun = encodeControlFrame(FrameType.OPEN_CHANNEL, 'c', MAX);
    overrun.writeUInt16BE(500, 5);
    const overrunDecoder = new FrameDecoder(MAX);
    overrunDecoder.push(overrun);
    expect(() => overrunDecoder.next()).toThrow(/overruns/);

    const badCredit = encodeMessageFrame(FrameType.CREDIT, 'c', { t: 'credit', n: 'lots' }, MAX);
    const creditDecoder = new FrameDecoder(MAX);
    creditDecoder.push(badCredit);
    expect(() => decodeChannelMessage(creditDecoder.next() as Frame)).toThrow(FrameFormatError);
  });

  it('assembles a 1 MiB frame fed one byte per chunk (each byte copied once)', () => {
    const payload = new Uint8Array(randomBytes(1024 * 1024));
    const wire = Buffer.concat(encodeDataFrame('big', payload.slice().buffer, 3, 2 * MAX));
    const decoder = new FrameDecoder(2 * MAX);
    let frame: Frame | undefined;
    for (let i = 0; i < wire.length; i++) {
      decoder.push(wire.subarray(i, i + 1));
      frame = decoder.next() ?? frame;
    }
    const message = decodeChannelMessage(frame as Frame);
    if (message.t !== 'data') throw new Error('expected data');
    expect(Buffer.from(message.buf).equals(Buffer.from(payload))).toBe(true);
  });

  it('decodes 200k small frames merged in one chunk', () => {
    const frame = encodeMessageFrame(FrameType.CREDIT, 'ch', { t: 'credit', n: 1 }, MAX);
    const count = 200_000;
    const wire = Buffer.concat(Array.from({ length: count }, () => frame));
    const decoder = new FrameDecoder(MAX);
    decoder.push(wire);
    let decoded = 0;
    while (decoder.next()) decoded++;
    expect(decoded).toBe(count);
  });
});
