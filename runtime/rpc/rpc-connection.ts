import { EventEmitter } from 'node:events';
import { BadRequestError, NetworkError, describeError } from '../errors';
import { serializeError, deserializeError } from '../error-wire';
import type { SerializedError } from '../error-wire';
import { FrameType, encodeMessageFrame, unpackPayload } from '../wire/frame-codec';
import type { Frame } from '../wire/frame-codec';
import type { FrameConnection } from '../wire/frame-connection';
import { FrameFormatError } from '../wire/wire-errors';

type Wire =
  | { t: 'req'; id: number; method: string; body: unknown }
  | { t: 'res'; id: number; ok: true; body: unknown }
  | { t: 'res'; id: number; ok: false; error: SerializedError }
  | { t: 'msg'; method: string; body: unknown };

export type RpcHandler = (body: unknown) => unknown;

/**
 * A protocol spoken over an RpcConnection: each method's request (or one-way message) body and
 * its reply. The control channel's is `ControlProtocol` (control-protocol.ts); the default
 * leaves bodies untyped (tests, tools).
 */
export type RpcProtocol = Record<string, { request: unknown; reply: unknown }>;

type Method<P> = keyof P & string;
type RequestOf<P extends RpcProtocol, M extends keyof P> = P[M]['request'];
type ReplyOf<P extends RpcProtocol, M extends keyof P> = P[M]['reply'];

/**
 * One authenticated control connection (job manager <-> TaskManager) over a FrameConnection:
 * requests with replies, and one-way messages, in order, one CONTROL frame each. Handlers are
 * registered per method; a request for a method without a handler is answered with an error.
 * Emits 'close' (with the cause, if it failed) once when the connection goes away, after
 * failing every call still waiting for a reply.
 *
 * Frames are bounded by the connection's maximum: a message too large to send fails its own
 * call (or throws from `notify`) and the connection stays up. Senders of bulk data (job
 * output) keep their messages far below the maximum and a bounded number in flight, so
 * heartbeats and deployments are never queued behind more than that.
 */
export class RpcConnection<P extends RpcProtocol = RpcProtocol> extends EventEmitter {
  private readonly handlers = new Map<string, RpcHandler>();
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly conn: FrameConnection,
    readonly peerId: string,
    private readonly maxFrameBytes: number,
  ) {
    super();
  }

  handle<M extends Method<P>>(
    method: M,
    handler: (body: RequestOf<P, M>) => ReplyOf<P, M> | Promise<ReplyOf<P, M>>,
  ): this {
    this.handlers.set(method, handler as RpcHandler);
    return this;
  }

  /** Sends a request and resolves with the peer's reply; rejects on error, timeout or close. */
  call<M extends Method<P>>(method: M, body: RequestOf<P, M>, timeoutMs = 30_000): Promise<ReplyOf<P, M>> {
    if (this.closed)
      return Promise.reject(new NetworkError(`control connection to ${this.peerId} is closed`));
    const id = this.nextId++;
    return new Promise<ReplyOf<P, M>>((resolve, reject) => {
      try {
        this.write({ t: 'req', id, method, body });
      } catch (err) {
        return reject(err);
      }
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new NetworkError(`${method} to ${this.peerId} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
    });
  }

  /**
   * Sends a one-way message. Dropped silently once the connection is closed; throws
   * FrameTooLargeError (sending nothing) when the message exceeds the frame maximum.
   */
  notify<M extends Method<P>>(method: M, body: RequestOf<P, M>): void {
    if (!this.closed) this.write({ t: 'msg', method, body });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes on purpose (not a failure), after flushing what was sent. */
  close(): void {
    this.conn.end();
  }

  /** Closes because of `reason`, which is logged and given to 'close' listeners. */
  destroy(reason?: Error): void {
    this.conn.destroy(reason ?? new NetworkError(`control connection to ${this.peerId} dropped`));
  }

  /** Called by the FrameConnection's owner for every frame of this connection. */
  onFrame(frame: Frame): void {
    if (frame.type !== FrameType.CONTROL) {
      throw new FrameFormatError(`unexpected frame type ${frame.type} on a control connection`);
    }
    const message = unpackPayload(frame.payload, 'CONTROL') as Wire;
    if (typeof message !== 'object' || message === null || typeof message.t !== 'string')
      throw new FrameFormatError('malformed control message');
    this.dispatch(message);
  }

  /** Called once by the FrameConnection's owner when the socket is gone. */
  onClosed(cause: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    const why = cause ? `: ${describeError(cause)}` : '';
    for (const waiter of this.waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new NetworkError(`control connection to ${this.peerId} closed${why}`, { cause }));
    }
    this.waiting.clear();
    this.emit('close', cause);
  }

  private write(message: Wire): void {
    this.conn.send([encodeMessageFrame(FrameType.CONTROL, '', message, this.maxFrameBytes)]);
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
        return;
      }
      default:
        throw new FrameFormatError(`unknown control message type '${String((message as Wire).t)}'`);
    }
  }

  private async answer(id: number | undefined, method: string, body: unknown): Promise<void> {
    const handler = this.handlers.get(method);
    try {
      if (!handler) throw new BadRequestError(`no handler for control message '${method}'`);
      const result = await handler(body);
      if (id !== undefined && !this.closed) this.reply({ t: 'res', id, ok: true, body: result ?? null });
    } catch (err) {
      if (id !== undefined && !this.closed)
        this.reply({ t: 'res', id, ok: false, error: serializeError(err) });
      else if (!this.closed) this.emit('handler-error', err, method);
    }
  }

  /** A reply that cannot be sent (too large) is replaced by an error reply, so the caller learns why. */
  private reply(message: Wire & { t: 'res' }): void {
    try {
      this.write(message);
    } catch (err) {
      this.write({ t: 'res', id: message.id, ok: false, error: serializeError(err) });
    }
  }
}
