import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { DownstreamMessage, UpstreamMessage } from '../../runtime/network/channel-protocol';
import { waitFor } from '../../runtime/util/wait';

/**
 * Stand-ins for task threads in exchange transport tests: each holds one end of a
 * MessageChannel (`port`) and offers the other (`far`) to the transport, as a TaskManager does.
 */

export const BUFFER_BYTES = 32 * 1024;

/** The task end of a producer channel: sends only while it holds credit, like a real task. */
export class TestProducer {
  credit = 0;
  creditsReceived = 0;
  eopAcked = false;
  private closed = false;
  readonly port: MessagePort;
  readonly far: MessagePort;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.far = port2;
    port1.on('message', (m: UpstreamMessage) => {
      if (m.t === 'credit') {
        this.credit += m.n;
        this.creditsReceived += m.n;
      } else this.eopAcked = true;
    });
  }

  /** Sends `count` numbered buffers, waiting for credit before each. */
  async sendBuffers(count: number, bytes = BUFFER_BYTES, from = 0): Promise<void> {
    for (let i = from; i < from + count; i++) {
      if (this.credit === 0)
        await waitFor(() => this.credit > 0 || this.closed, {
          what: 'credit',
          intervalMs: 1,
          timeoutMs: 30_000,
        });
      if (this.closed) return;
      this.credit--;
      this.sendData(i, bytes);
    }
  }

  /** Sends one buffer regardless of credit (a misbehaving or test-only producer). */
  sendData(i: number, bytes = BUFFER_BYTES): void {
    const buf = patterned(i, bytes);
    this.port.postMessage({ t: 'data', buf, n: i } satisfies DownstreamMessage, [buf]);
  }

  sendEvent(message: DownstreamMessage): void {
    this.port.postMessage(message);
  }

  endOfPartition(): void {
    this.sendEvent({ t: 'event', e: { kind: 'end-of-partition' } });
  }

  close(): void {
    this.closed = true;
    this.port.close();
  }
}

/** The task end of a consumer channel: grants `initialCredit`, then one credit per buffer read, and acks end-of-partition. */
export class TestConsumer {
  readonly received: DownstreamMessage[] = [];
  readonly port: MessagePort;
  readonly far: MessagePort;

  constructor(initialCredit: number, read = true) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.far = port2;
    port1.on('message', (m: DownstreamMessage) => {
      this.received.push(m);
      if (!read) return;
      if (m.t === 'data') port1.postMessage({ t: 'credit', n: 1 } satisfies UpstreamMessage);
      if (m.t === 'event' && m.e.kind === 'end-of-partition')
        port1.postMessage({ t: 'eop-ack' } satisfies UpstreamMessage);
    });
    if (initialCredit > 0) port1.postMessage({ t: 'credit', n: initialCredit } satisfies UpstreamMessage);
  }

  get data(): Array<{ buf: ArrayBuffer; n: number }> {
    return this.received.filter((m): m is Extract<DownstreamMessage, { t: 'data' }> => m.t === 'data');
  }

  /** What arrived, as `n` for data and the event kind for events. */
  get sequence(): Array<number | string> {
    return this.received.map((m) => (m.t === 'data' ? m.n : m.e.kind));
  }

  close(): void {
    this.port.close();
  }
}

export function patterned(i: number, bytes: number): ArrayBuffer {
  const view = new Uint8Array(bytes);
  for (let j = 0; j < bytes; j++) view[j] = (i * 31 + j) & 0xff;
  return view.buffer;
}

/** True when `message` holds exactly the bytes `patterned(message.n, bytes)` made. */
export function isPatterned(message: { buf: ArrayBuffer; n: number }, bytes = BUFFER_BYTES): boolean {
  return (
    message.buf.byteLength === bytes &&
    Buffer.from(message.buf).equals(Buffer.from(patterned(message.n, bytes)))
  );
}
