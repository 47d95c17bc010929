import type { MessagePort } from 'node:worker_threads';
import type { ChannelEvent, DownstreamMessage, UpstreamMessage } from './channel-protocol';
import { encodeBatch } from './record-batch-codec';

export interface OutputChannelOptions {
  /** Target size of one data buffer; the records per buffer adapt to it. */
  readonly bufferSizeBytes: number;
  /** Fixed records per buffer (1 when the buffer timeout is 0); adaptive when undefined. */
  readonly recordsPerBuffer?: number;
  /** Called when the channel gets a backlog (no credit) and when the backlog is gone. */
  readonly onBacklogChange: (backlogged: boolean) => void;
}

const MIN_RECORDS_PER_BUFFER = 16;
const MAX_RECORDS_PER_BUFFER = 8192;

/**
 * The producer end of one channel. Records collect into a batch; a full batch (or a flush on
 * the buffer timeout) becomes a data buffer, sent while the consumer has granted credit and
 * queued otherwise. A queued buffer is a backlog: the task stops pulling input until it clears.
 */
export class OutputChannel {
  private records: unknown[] = [];
  /** Timestamps of `records`, once any of them has one. */
  private timestamps: (number | null)[] | undefined;
  private recordsPerBuffer = 256;
  private credits = 0;
  private readonly queue: DownstreamMessage[] = [];
  private eopAcked = false;
  private eopWaiter: (() => void) | undefined;

  constructor(
    readonly id: string,
    private readonly port: MessagePort,
    private readonly options: OutputChannelOptions,
  ) {
    if (options.recordsPerBuffer !== undefined) this.recordsPerBuffer = options.recordsPerBuffer;
    port.on('message', (message: UpstreamMessage) => this.onUpstream(message));
  }

  add(record: unknown, timestamp?: number): void {
    if (timestamp !== undefined || this.timestamps) {
      this.timestamps ??= new Array<number | null>(this.records.length).fill(null);
      this.timestamps.push(timestamp ?? null);
    }
    this.records.push(record);
    if (this.records.length >= this.recordsPerBuffer) this.flush();
  }

  /** Turns the pending records into a buffer now (buffer timeout, barrier, end of input). */
  flush(): void {
    if (this.records.length === 0) return;
    const records = this.records;
    const timestamps = this.timestamps;
    this.records = [];
    this.timestamps = undefined;
    const buf = encodeBatch(records, timestamps);
    this.adaptBatchSize(buf.byteLength, records.length);
    this.enqueue({ t: 'data', buf, n: records.length });
  }

  /** Sends an event in order after everything added before it. */
  sendEvent(event: ChannelEvent): void {
    this.flush();
    this.enqueue({ t: 'event', e: event });
  }

  get backlogged(): boolean {
    return this.queue.length > 0;
  }

  /** Resolves once the consumer acknowledged end-of-partition. */
  whenEndAcknowledged(): Promise<void> {
    if (this.eopAcked) return Promise.resolve();
    return new Promise((resolve) => (this.eopWaiter = resolve));
  }

  close(): void {
    this.port.close();
  }

  private enqueue(message: DownstreamMessage): void {
    const wasBacklogged = this.backlogged;
    this.queue.push(message);
    this.drain();
    if (!wasBacklogged && this.backlogged) this.options.onBacklogChange(true);
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.t === 'data') {
        if (this.credits === 0) return;
        this.credits--;
        this.port.postMessage(next, [next.buf]);
      } else {
        this.port.postMessage(next);
      }
      this.queue.shift();
    }
  }

  private onUpstream(message: UpstreamMessage): void {
    if (message.t === 'credit') {
      const wasBacklogged = this.backlogged;
      this.credits += message.n;
      this.drain();
      if (wasBacklogged && !this.backlogged) this.options.onBacklogChange(false);
    } else if (message.t === 'eop-ack') {
      this.eopAcked = true;
      this.eopWaiter?.();
    }
  }

  private adaptBatchSize(bytes: number, count: number): void {
    if (this.options.recordsPerBuffer !== undefined) return;
    const perRecord = Math.max(1, bytes / count);
    const target = Math.floor(this.options.bufferSizeBytes / perRecord);
    this.recordsPerBuffer = Math.min(MAX_RECORDS_PER_BUFFER, Math.max(MIN_RECORDS_PER_BUFFER, target));
  }
}
