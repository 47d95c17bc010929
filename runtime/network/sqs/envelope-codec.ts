import type { ChannelEvent, DownstreamMessage, UpstreamMessage } from '../channel-protocol';
import { SqsEnvelopeError } from './sqs-errors';

/**
 * The body of one SQS message of the exchange: JSON, readable in the SQS console, carrying
 * several channel messages of ONE channel in order:
 *
 *   {"v":1,"c":"<channel id>","s":<sequence number>,"m":[<item>,…]}
 *   item: {"t":"data","n":<records>,"b":"<base64 of the msgpack batch>"}
 *         {"t":"data","f":1,"b":"<base64>"}   a fragment; the next data item of the channel continues it
 *         {"t":"event","e":{…}}  {"t":"credit","n":<n>}  {"t":"eop-ack"}
 *
 * Several buffers share a message up to the size limit; a buffer too big for one message is
 * split into fragments that fill consecutive messages of the channel's message group.
 */

export const ENVELOPE_VERSION = 1;

/** One encoded channel message (or fragment), waiting in a channel's outbox. */
export interface OutItem {
  readonly json: string;
  /** UTF-8 bytes of `json`. */
  readonly bytes: number;
  /** Set on a credit item so a later credit can merge into it while it waits. */
  readonly credit?: number;
  /** True on the last item of a data buffer (counts as one buffer sent). */
  readonly buffer?: boolean;
}

export interface Envelope {
  readonly c: string;
  readonly s: number;
  readonly m: readonly unknown[];
}

/** Longest seq we ever write (Number.MAX_SAFE_INTEGER has 16 digits). */
const MAX_SEQ_DIGITS = 16;
/** `{"t":"data","n":<16 digits>,"b":""}` and the comma before it, rounded up. */
const DATA_ITEM_OVERHEAD = 48;

/** Bytes of a message body around its items: `{"v":1,"c":…,"s":…,"m":[` … `]}`. */
export function envelopeOverhead(channelIdJson: string): number {
  return Buffer.byteLength(`${envelopeHead(channelIdJson, 0)}${ENVELOPE_TAIL}`) - 1 + MAX_SEQ_DIGITS;
}

export function envelopeHead(channelIdJson: string, seq: number): string {
  return `{"v":${ENVELOPE_VERSION},"c":${channelIdJson},"s":${seq},"m":[`;
}

export const ENVELOPE_TAIL = ']}';

/**
 * Encodes a message a producer task posted. A data buffer whose base64 exceeds `maxItemBytes`
 * becomes several fragment items, each filling one SQS message.
 */
export function encodeDownstream(message: DownstreamMessage, maxItemBytes: number): OutItem[] {
  if (message.t === 'event') return [textItem(`{"t":"event","e":${JSON.stringify(message.e)}}`)];
  const bytes = Buffer.from(message.buf);
  const chunk = Math.floor((maxItemBytes - DATA_ITEM_OVERHEAD) / 4) * 3;
  const items: OutItem[] = [];
  let offset = 0;
  while (bytes.length - offset > chunk) {
    const json = `{"t":"data","f":1,"b":"${bytes.toString('base64', offset, offset + chunk)}"}`;
    items.push({ json, bytes: json.length });
    offset += chunk;
  }
  const b64 = bytes.toString('base64', offset);
  const json = `{"t":"data","n":${message.n},"b":"${b64}"}`;
  items.push({ json, bytes: json.length, buffer: true });
  return items;
}

export function creditItem(n: number): OutItem {
  const json = `{"t":"credit","n":${n}}`;
  return { json, bytes: json.length, credit: n };
}

export function encodeUpstream(message: UpstreamMessage): OutItem {
  return message.t === 'credit' ? creditItem(message.n) : textItem('{"t":"eop-ack"}');
}

/** Parses an SQS message body; throws SqsEnvelopeError when it is not an exchange envelope. */
export function decodeEnvelope(body: string | undefined): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(body ?? '');
  } catch (err) {
    throw new SqsEnvelopeError('message body is not JSON', { cause: err });
  }
  const envelope = value as Partial<Record<'v' | 'c' | 's' | 'm', unknown>> | null;
  if (
    typeof envelope !== 'object' ||
    envelope === null ||
    envelope.v !== ENVELOPE_VERSION ||
    typeof envelope.c !== 'string' ||
    !Number.isSafeInteger(envelope.s) ||
    !Array.isArray(envelope.m)
  ) {
    throw new SqsEnvelopeError(`not a version ${ENVELOPE_VERSION} exchange envelope`);
  }
  return { c: envelope.c, s: envelope.s as number, m: envelope.m as unknown[] };
}

/**
 * Decodes one downstream item. Fragments collect in `fragments` (the channel's reassembly
 * buffer) and yield undefined until the final piece, which yields the whole buffer.
 */
export function decodeDownstreamItem(item: unknown, fragments: Buffer[]): DownstreamMessage | undefined {
  const it = item as Partial<Record<'t' | 'n' | 'f' | 'b' | 'e', unknown>> | null;
  if (it?.t === 'event') {
    if (typeof it.e !== 'object' || it.e === null) throw new SqsEnvelopeError('event item without an event');
    if (fragments.length > 0) throw new SqsEnvelopeError('event inside a fragmented buffer');
    return { t: 'event', e: it.e as ChannelEvent };
  }
  if (it?.t !== 'data' || typeof it.b !== 'string') throw new SqsEnvelopeError('not a downstream item');
  if (it.f === 1) {
    fragments.push(Buffer.from(it.b, 'base64'));
    return undefined;
  }
  if (typeof it.n !== 'number') throw new SqsEnvelopeError('data item without a record count');
  if (fragments.length === 0) return { t: 'data', buf: base64ToArrayBuffer(it.b), n: it.n };
  fragments.push(Buffer.from(it.b, 'base64'));
  const total = fragments.reduce((sum, f) => sum + f.length, 0);
  const buf = new ArrayBuffer(total);
  const view = new Uint8Array(buf);
  let offset = 0;
  for (const fragment of fragments) {
    view.set(fragment, offset);
    offset += fragment.length;
  }
  fragments.length = 0;
  return { t: 'data', buf, n: it.n };
}

export function decodeUpstreamItem(item: unknown): UpstreamMessage {
  const it = item as Partial<Record<'t' | 'n', unknown>> | null;
  if (it?.t === 'credit' && Number.isSafeInteger(it.n)) return { t: 'credit', n: it.n as number };
  if (it?.t === 'eop-ack') return { t: 'eop-ack' };
  throw new SqsEnvelopeError('not an upstream item');
}

/** Bytes a data message occupies while held for an unregistered consumer. */
export function heldBytes(message: DownstreamMessage): number {
  return message.t === 'data' ? message.buf.byteLength + 64 : 64;
}

function textItem(json: string): OutItem {
  return { json, bytes: Buffer.byteLength(json) };
}

/**
 * Decodes straight into an ArrayBuffer of its own: `Buffer.from(b64)` may slice a shared pool,
 * and transferring such a buffer to a task thread would detach the whole pool.
 */
function base64ToArrayBuffer(b64: string): ArrayBuffer {
  let padding = 0;
  if (b64.endsWith('==')) padding = 2;
  else if (b64.endsWith('=')) padding = 1;
  const length = Math.floor((b64.length * 3) / 4) - padding;
  const buf = new ArrayBuffer(length);
  const written = Buffer.from(buf).write(b64, 'base64');
  if (written !== length) throw new SqsEnvelopeError('data item is not valid base64');
  return buf;
}
