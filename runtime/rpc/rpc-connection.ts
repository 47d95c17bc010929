import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { NetworkError, SluiceError, serializeError, deserializeError } from '../errors';
import type { SerializedError } from '../errors';
import { MessageDecoder, frameMessage } from './message-framing';

type Wire =
  | { t: 'req'; id: number; method: string; body: unknown }
  | { t: 'res'; id: number; ok: true; body: unknown }
  | { t: 'res'; id: number; ok: false; error: SerializedError }
  | { t: 'msg'; method: string; body: unknown };

export type RpcHandler = (body: unknown) => unknown;

export const MAX_CONTROL_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * One authenticated control connection (job manager <-> TaskManager): requests with replies,
 * and one-way messages, in order. Handlers are registered per method; a request for a method
 * without a handler is answered with an error. Emits 'close' once when the socket goes away,
 * after failing every call still waiting for a reply.
 */
export class RpcConnection extends EventEmitter {
  private readonly handlers = new Map<string, RpcHandler>();
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    readonly peerId: string,
    decoder = new MessageDecoder(MAX_CONTROL_MESSAGE_BYTES),
    initial: unknown[] = [],
  ) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const m of decoder.push(chunk)) this.dispatch(m as Wire);
      } catch (err) {
        this.destroy(err);
      }
    });
    socket.on('close', () => this.onClosed());
    socket.on('error', () => this.onClosed());
    // Messages that arrived together with the handshake.
    queueMicrotask(() => initial.forEach((m) => this.dispatch(m as Wire)));
  }

  handle(method: string, handler: RpcHandler): this {
    this.handlers.set(method, handler);
    return this;
  }

  /** Sends a request and resolves with the peer's reply; rejects on error, timeout or close. */
  call<T = unknown>(method: string, body: unknown, timeoutMs = 30_000): Promise<T> {
    if (this.closed)
      return Promise.reject(new NetworkError(`control connection to ${this.peerId} is closed`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new NetworkError(`${method} to ${this.peerId} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.write({ t: 'req', id, method, body });
    });
  }

  /** Sends a one-way message. Dropped silently once the connection is closed. */
  notify(method: string, body: unknown): void {
    if (!this.closed) this.write({ t: 'msg', method, body });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.socket.end();
    this.socket.destroySoon();
  }

  destroy(reason?: unknown): void {
    this.socket.destroy(reason instanceof Error ? reason : undefined);
  }

  private write(message: Wire): void {
    this.socket.write(frameMessage(message));
  }

  private dispatch(message: Wire): void {
    switch (message.t) {
      case 'req':
        void this.answer(message.id, message.method, message.body);
        return;
      case 'msg':
        void this.answer(undefined, message.method, message.body);
        return;
      case 'res': {
        const waiter = this.waiting.get(message.id);
        if (!waiter) return;
        this.waiting.delete(message.id);
        clearTimeout(waiter.timer);
        if (message.ok) waiter.resolve(message.body);
        else waiter.reject(deserializeError(message.error));
      }
    }
  }

  private async answer(id: number | undefined, method: string, body: unknown): Promise<void> {
    const handler = this.handlers.get(method);
    try {
      if (!handler) throw new SluiceError('SLUICE_BAD_REQUEST', `no handler for control message '${method}'`);
      const result = await handler(body);
      if (id !== undefined && !this.closed) this.write({ t: 'res', id, ok: true, body: result ?? null });
    } catch (err) {
      if (id !== undefined && !this.closed)
        this.write({ t: 'res', id, ok: false, error: serializeError(err) });
      else this.emit('handler-error', err, method);
    }
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new NetworkError(`control connection to ${this.peerId} closed`));
    }
    this.waiting.clear();
    this.emit('close');
  }
}
