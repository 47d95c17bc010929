/**
 * The one wire format of Sluice's TCP connections, control plane (job manager <-> TaskManager)
 * and data plane (TaskManager <-> TaskManager) alike: length-prefixed binary frames.
 *
 * ```
 * [u32 total length][u8 frame type][u16 channel-id byte length][channel id, utf8][payload]
 * ```
 * All integers are big-endian. `total length` counts the whole frame, prefix included, so a
 * reader knows after four bytes how much to wait for. Connection-level frames (handshake) carry
 * an empty channel id.
 *
 * Payloads: handshake frames carry msgpack of their fields (see handshake.ts); CONTROL frames
 * the msgpack of one control-plane message; the data plane's channel frames are described in
 * runtime/network/tcp/channel-frames.ts.
 */
import { Packr } from 'msgpackr';
import { FrameFormatError, FrameTooLargeError } from './wire-errors';

export const FrameType = {
  /** Dialer -> acceptor: TaskManager id, HMAC over the acceptor's nonce, own nonce. */
  HELLO: 1,
  /** Acceptor -> dialer, sent on accept: acceptor's TaskManager id and nonce. */
  CHALLENGE: 2,
  /** Acceptor -> dialer: HMAC over the dialer's nonce; the connection is now open for channels. */
  WELCOME: 3,
  /** Acceptor -> dialer: connection refused (bad credentials, or a duplicate of the pair's link). */
  REJECT: 4,
  /** Producer side -> consumer side: the channel now routes over this connection. */
  OPEN_CHANNEL: 5,
  /** Either side: this side released the channel; it sends nothing more on it. */
  CLOSE_CHANNEL: 6,
  DATA: 7,
  EVENT: 8,
  CREDIT: 9,
  EOP_ACK: 10,
  /** Either side of a control connection: one control message (request, reply or notification). */
  CONTROL: 11,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const KNOWN_TYPES = new Set<number>(Object.values(FrameType));
const NAMES = new Map<number, string>(Object.entries(FrameType).map(([name, value]) => [value, name]));

/** Bytes before the channel id: length, type, channel-id length. */
export const FRAME_HEADER_BYTES = 4 + 1 + 2;
const MAX_CHANNEL_ID_BYTES = 0xffff;
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

export interface Frame {
  type: FrameType;
  channelId: string;
  /** A view into the received bytes; valid until the caller lets go of it (never reused). */
  payload: Buffer;
}

export function frameTypeName(type: number): string {
  return NAMES.get(type) ?? `UNKNOWN(${type})`;
}

// Plain maps, no record extension: both ends must decode without shared structure state.
const packr = new Packr({ useRecords: false, moreTypes: false });

export function packPayload(value: unknown): Buffer {
  return packr.pack(value);
}

export function unpackPayload(payload: Buffer, what: string): unknown {
  try {
    return packr.unpack(payload);
  } catch (err) {
    throw new FrameFormatError(`${what}: payload is not valid msgpack`, { cause: err });
  }
}

/**
 * Encodes one frame as a list of buffers to write in order: a header holding everything up to
 * and including `prefix`, then `body` as given (not copied). Throws FrameTooLargeError before
 * anything is written when the frame would exceed `maxFrameBytes`.
 */
export function encodeFrame(
  type: FrameType,
  channelId: string,
  body: Uint8Array | undefined,
  maxFrameBytes: number,
  prefix?: (header: Buffer, offset: number) => number,
  prefixBytes = 0,
): Buffer[] {
  const idBytes = Buffer.byteLength(channelId, 'utf8');
  if (idBytes > MAX_CHANNEL_ID_BYTES)
    throw new FrameFormatError(`channel id of ${idBytes} bytes is too long`);
  const headerBytes = FRAME_HEADER_BYTES + idBytes + prefixBytes;
  const total = headerBytes + (body?.byteLength ?? 0);
  if (total > maxFrameBytes)
    throw new FrameTooLargeError(total, maxFrameBytes, `${frameTypeName(type)} frame`);
  const header = Buffer.allocUnsafe(headerBytes);
  header.writeUInt32BE(total, 0);
  header.writeUInt8(type, 4);
  header.writeUInt16BE(idBytes, 5);
  header.write(channelId, FRAME_HEADER_BYTES, idBytes, 'utf8');
  if (prefix) prefix(header, FRAME_HEADER_BYTES + idBytes);
  if (!body || body.byteLength === 0) return [header];
  return [header, Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)];
}

/** A frame whose payload is msgpack of `value`, in one buffer (small control messages). */
export function encodeMessageFrame(
  type: FrameType,
  channelId: string,
  value: unknown,
  maxFrameBytes: number,
): Buffer {
  const parts = encodeFrame(type, channelId, packPayload(value), maxFrameBytes);
  // One buffer: msgpackr's output is a view into its scratch space, so copy it out anyway.
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/** Control frame without payload (OPEN_CHANNEL, CLOSE_CHANNEL). */
export function encodeControlFrame(type: FrameType, channelId: string, maxFrameBytes: number): Buffer {
  return encodeFrame(type, channelId, undefined, maxFrameBytes)[0] as Buffer;
}

/**
 * Streaming frame decoder. Push socket chunks as they come; pull whole frames with `next()`.
 *
 * Chunks are kept as a list, never concatenated on arrival: a frame inside one chunk is
 * returned as a zero-copy view, and a frame spanning chunks is copied once into a buffer of
 * its exact size. So every byte is copied at most once whatever the chunking (even one byte
 * per chunk), and the cost stays linear. The length prefix is checked against the maximum as
 * soon as it is readable, before the frame's bytes are buffered.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Index of the first unread chunk; consumed chunks are compacted away in batches. */
  private first = 0;
  /** Read offset into chunks[first]. */
  private head = 0;
  /** Unread bytes across all chunks. */
  private buffered = 0;
  /** Total length of the frame being assembled, once its prefix was read; -1 before. */
  private frameLength = -1;

  constructor(private maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {}

  /** Changes the limit for frames not yet started (e.g. small until a peer is authenticated). */
  setMaxFrameBytes(maxFrameBytes: number): void {
    this.maxFrameBytes = maxFrameBytes;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next complete frame, or undefined when more bytes are needed. Throws
   * FrameTooLargeError / FrameFormatError; the stream is unusable afterwards.
   */
  next(): Frame | undefined {
    if (this.frameLength < 0) {
      if (this.buffered < 4) return undefined;
      const length = this.peekUInt32();
      if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
      if (length < FRAME_HEADER_BYTES)
        throw new FrameFormatError(`frame length ${length} is shorter than a header`);
      this.frameLength = length;
    }
    if (this.buffered < this.frameLength) return undefined;
    const bytes = this.take(this.frameLength);
    this.frameLength = -1;
    return parseFrame(bytes);
  }

  private peekUInt32(): number {
    let index = this.first;
    let offset = this.head;
    let chunk = this.chunks[index] as Buffer;
    if (chunk.length - offset >= 4) return chunk.readUInt32BE(offset);
    let value = 0;
    for (let i = 0; i < 4; i++) {
      while (offset >= chunk.length) {
        index++;
        offset = 0;
        chunk = this.chunks[index] as Buffer;
      }
      value = value * 256 + (chunk[offset] as number);
      offset++;
    }
    return value;
  }

  /** Removes and returns the next `n` buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    const chunk = this.chunks[this.first] as Buffer;
    let out: Buffer;
    if (chunk.length - this.head >= n) {
      out = chunk.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === chunk.length) this.dropFirst();
    } else {
      out = Buffer.allocUnsafe(n);
      let written = 0;
      while (written < n) {
        const current = this.chunks[this.first] as Buffer;
        const count = Math.min(current.length - this.head, n - written);
        current.copy(out, written, this.head, this.head + count);
        written += count;
        this.head += count;
        if (this.head === current.length) this.dropFirst();
      }
    }
    this.buffered -= n;
    return out;
  }

  private dropFirst(): void {
    this.first++;
    this.head = 0;
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first >= 64 && this.first * 2 >= this.chunks.length) {
      // Compact in batches so consuming k chunks costs O(k), not O(k^2) as with shift().
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}

function parseFrame(bytes: Buffer): Frame {
  const type = bytes.readUInt8(4);
  if (!KNOWN_TYPES.has(type)) throw new FrameFormatError(`unknown frame type ${type}`);
  const idBytes = bytes.readUInt16BE(5);
  const payloadStart = FRAME_HEADER_BYTES + idBytes;
  if (payloadStart > bytes.length)
    throw new FrameFormatError(`channel id overruns a frame of ${bytes.length} bytes`);
  const channelId = idBytes === 0 ? '' : bytes.toString('utf8', FRAME_HEADER_BYTES, payloadStart);
  return { type: type as FrameType, channelId, payload: bytes.subarray(payloadStart) };
}
