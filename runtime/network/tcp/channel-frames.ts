/**
 * The data plane's channel frames (DATA, EVENT, CREDIT, EOP_ACK), in the shared frame format of
 * runtime/wire/frame-codec.ts. DATA is `[u32 record count n][msgpack record bytes]` so the
 * record bytes travel untouched (no re-encoding, no copy on the send side); EVENT, CREDIT and
 * EOP_ACK carry the msgpack of the channel message itself; OPEN_CHANNEL and CLOSE_CHANNEL have
 * no payload.
 */
import {
  FrameType,
  encodeFrame,
  encodeMessageFrame,
  frameTypeName,
  unpackPayload,
} from '../../wire/frame-codec';
import type { Frame } from '../../wire/frame-codec';
import { FrameFormatError } from '../../wire/wire-errors';
import type { ChannelEvent, DownstreamMessage, UpstreamMessage } from '../channel-protocol';

/** DATA frame; the record bytes are written straight from the task's transferred ArrayBuffer. */
export function encodeDataFrame(
  channelId: string,
  buf: ArrayBuffer,
  n: number,
  maxFrameBytes: number,
): Buffer[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new FrameFormatError(`invalid record count ${n}`);
  return encodeFrame(
    FrameType.DATA,
    channelId,
    new Uint8Array(buf),
    maxFrameBytes,
    (h, o) => h.writeUInt32BE(n, o),
    4,
  );
}

/** Encodes a channel message (either direction) as the frame that carries it. */
export function encodeChannelMessage(
  channelId: string,
  message: DownstreamMessage | UpstreamMessage,
  maxFrameBytes: number,
): Buffer[] {
  switch (message.t) {
    case 'data':
      return encodeDataFrame(channelId, message.buf, message.n, maxFrameBytes);
    case 'event':
      return [encodeMessageFrame(FrameType.EVENT, channelId, message, maxFrameBytes)];
    case 'credit':
      return [encodeMessageFrame(FrameType.CREDIT, channelId, message, maxFrameBytes)];
    case 'eop-ack':
      return [encodeMessageFrame(FrameType.EOP_ACK, channelId, message, maxFrameBytes)];
  }
}

/**
 * Decodes the channel message of a DATA, EVENT, CREDIT or EOP_ACK frame. A DATA frame's record
 * bytes are copied once into an ArrayBuffer of their own, so it can be transferred to a task
 * without detaching the socket chunk it arrived in. Throws FrameFormatError on a malformed one.
 */
export function decodeChannelMessage(frame: Frame): DownstreamMessage | UpstreamMessage {
  const { payload } = frame;
  switch (frame.type) {
    case FrameType.DATA: {
      if (payload.length < 4) throw new FrameFormatError('DATA frame without record count');
      const start = payload.byteOffset + 4;
      const buf = payload.buffer.slice(start, payload.byteOffset + payload.byteLength) as ArrayBuffer;
      return { t: 'data', buf, n: payload.readUInt32BE(0) };
    }
    case FrameType.EVENT: {
      const msg = unpackPayload(payload, 'EVENT') as { t?: unknown; e?: unknown };
      if (msg?.t !== 'event' || !isChannelEvent(msg.e)) throw new FrameFormatError('malformed EVENT frame');
      return { t: 'event', e: msg.e };
    }
    case FrameType.CREDIT: {
      const msg = unpackPayload(payload, 'CREDIT') as { t?: unknown; n?: unknown };
      if (msg?.t !== 'credit' || !Number.isSafeInteger(msg.n))
        throw new FrameFormatError('malformed CREDIT frame');
      return { t: 'credit', n: msg.n as number };
    }
    case FrameType.EOP_ACK: {
      const msg = unpackPayload(payload, 'EOP_ACK') as { t?: unknown };
      if (msg?.t !== 'eop-ack') throw new FrameFormatError('malformed EOP_ACK frame');
      return { t: 'eop-ack' };
    }
    default:
      throw new FrameFormatError(`${frameTypeName(frame.type)} frame carries no channel message`);
  }
}

function isChannelEvent(e: unknown): e is ChannelEvent {
  return typeof e === 'object' && e !== null && typeof (e as { kind?: unknown }).kind === 'string';
}
