import type { OutItem } from './envelope-codec';
import { ENVELOPE_TAIL, creditItem, envelopeHead, envelopeOverhead } from './envelope-codec';
import { messageGroupId } from './queue-names';

/** One SQS message of a channel: packed once, resent unchanged (same seq, same body) on retry. */
export interface OutMessage {
  readonly seq: number;
  readonly body: string;
  readonly bytes: number;
  /** Data buffers completed by this message (for stats). */
  readonly buffers: number;
  attempts: number;
}

/**
 * What one channel has to send in one direction: encoded items in order, packed into SQS
 * messages with consecutive sequence numbers. At most one message of a channel is in flight
 * at a time, so SQS receives a channel's messages in order even when a send is retried or a
 * batch fails part-way (a later message never overtakes an earlier one of its group).
 */
export class ChannelOutbox {
  readonly groupId: string;
  /** Bytes encoded but not yet packed into a message. */
  pendingBytes = 0;
  nextSeq = 0;
  /** The packed message being sent or waiting to be retried. */
  current: OutMessage | undefined;
  inFlight = false;
  retryAt = 0;
  /** Set once the channel cannot send any more (its queue failed). */
  failed = false;
  private items: OutItem[] = [];
  private readonly idJson: string;
  /** Room for items in one message. */
  readonly maxItemBytes: number;

  constructor(
    readonly channelId: string,
    maxMessageBytes: number,
    /** Runs after each message of this outbox was accepted by SQS. */
    readonly onSent: () => void,
  ) {
    this.groupId = messageGroupId(channelId);
    this.idJson = JSON.stringify(channelId);
    this.maxItemBytes = maxMessageBytes - envelopeOverhead(this.idJson);
  }

  push(item: OutItem): void {
    this.items.push(item);
    this.pendingBytes += item.bytes;
  }

  /** Adds `n` credits, merged into a credit that has not been packed yet (credits are additive). */
  pushCredit(n: number): void {
    const last = this.items[this.items.length - 1];
    if (last?.credit === undefined) return this.push(creditItem(n));
    const merged = creditItem(last.credit + n);
    this.items[this.items.length - 1] = merged;
    this.pendingBytes += merged.bytes - last.bytes;
  }

  /** Bytes not yet accepted by SQS: waiting items plus the packed message. */
  get unsentBytes(): number {
    return this.pendingBytes + (this.current?.bytes ?? 0);
  }

  /** Nothing waiting and nothing in flight. */
  get idle(): boolean {
    return this.current === undefined && this.items.length === 0;
  }

  sendable(now: number): boolean {
    if (this.inFlight || this.failed) return false;
    return this.current ? this.retryAt <= now : this.items.length > 0;
  }

  /** The message to send next: the one being retried, or a new one packed from the items. */
  take(): OutMessage {
    this.current ??= this.pack();
    return this.current;
  }

  /** SQS accepted `current`. */
  sent(): void {
    this.current = undefined;
    this.inFlight = false;
    this.retryAt = 0;
  }

  /** Drops everything waiting (the channel was released or failed). */
  clear(): void {
    this.items = [];
    this.pendingBytes = 0;
    this.current = undefined;
  }

  private pack(): OutMessage {
    const seq = this.nextSeq++;
    const head = envelopeHead(this.idJson, seq);
    const limit = this.maxItemBytes;
    const parts: string[] = [];
    let bytes = 0;
    let buffers = 0;
    while (this.items.length > 0) {
      const item = this.items[0]!;
      const add = item.bytes + (parts.length > 0 ? 1 : 0);
      if (parts.length > 0 && bytes + add > limit) break;
      parts.push(item.json);
      bytes += add;
      if (item.buffer) buffers++;
      this.items.shift();
      this.pendingBytes -= item.bytes;
    }
    const body = `${head}${parts.join(',')}${ENVELOPE_TAIL}`;
    return { seq, body, bytes: Buffer.byteLength(body), buffers, attempts: 0 };
  }
}
