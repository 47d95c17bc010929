import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, moreTypes: false });
const HEADER = 4;

/** Encodes one control message as [u32 length][msgpack]. */
export function frameMessage(message: unknown): Buffer {
  const body = packr.pack(message);
  const frame = Buffer.allocUnsafe(HEADER + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER);
  return frame;
}

/** Splits a byte stream into messages; bytes may arrive in any chunking. */
export class MessageDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Feeds bytes; returns the complete messages they finish. Throws on an oversized message. */
  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: unknown[] = [];
    for (;;) {
      if (this.buffered < HEADER) return messages;
      const head = this.peek(HEADER);
      const length = head.readUInt32BE(0);
      if (length > this.maxMessageBytes) {
        throw new Error(`control message of ${length} bytes exceeds the limit of ${this.maxMessageBytes}`);
      }
      if (this.buffered < HEADER + length) return messages;
      const frame = this.take(HEADER + length);
      messages.push(packr.unpack(frame.subarray(HEADER)));
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return frame;
  }
}
