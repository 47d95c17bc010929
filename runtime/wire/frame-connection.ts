import type { Socket } from 'node:net';
import { NetworkError, SluiceError, describeError } from '../errors';
import { FrameDecoder, FrameType, encodeMessageFrame, frameTypeName } from './frame-codec';
import type { Frame } from './frame-codec';
import type { RejectReason } from './handshake';
import {
  PROTOCOL_VERSION,
  acceptorProof,
  dialerProof,
  newNonce,
  parseChallenge,
  parseHello,
  parseReject,
  parseWelcome,
  proofMatches,
} from './handshake';
import type {
  ConnectionHandlers,
  ConnectionRole,
  ConnectionState,
  FrameConnectionOptions,
  TransportCounters,
} from './frame-connection-options';
import { newCounters } from './frame-connection-options';
import { FrameFormatError, PeerAuthenticationError } from './wire-errors';

/** Handshake frames are tiny; an unauthenticated peer must not make us buffer megabytes. */
const HANDSHAKE_MAX_FRAME_BYTES = 4096;

/**
 * One mutually authenticated, framed TCP connection: the one connection type of both planes
 * (the control connection wraps it in an RpcConnection, the data exchange routes channels over
 * it). Owns the socket, the handshake state machine, the streaming decoder and the write path
 * (per-tick corking so a burst of small frames leaves in one syscall; congestion signalled when
 * the kernel cannot keep up). Routing is the owner's. Every failure is logged once with its
 * cause: refusals of unauthenticated peers through the rate-limited `rejections` log, failures
 * of an authenticated connection as a warning.
 */
export class FrameConnection {
  readonly role: ConnectionRole;
  state: ConnectionState = 'HANDSHAKING';
  /** The authenticated peer's TaskManager id (for a dialer: as soon as the challenge checks out). */
  peerId: string | undefined;
  /** Dialer: the TaskManager it was opened for (known before the handshake, unlike `peerId`). */
  readonly expectedPeerId: string | undefined;
  counters: TransportCounters = newCounters();

  private readonly socket: Socket;
  private readonly decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES);
  private readonly nonce = newNonce();
  private readonly handlers: ConnectionHandlers;
  private readonly options: FrameConnectionOptions;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private cause: Error | undefined;
  /** We closed it on purpose (shutdown, replaced, refused as duplicate): not a failure. */
  private closeRequested = false;
  private wasActive = false;
  private corked = false;
  private congested = false;
  /** The failure was already logged (a refusal, or a decode error). */
  private reported = false;
  private remote: string | undefined;

  constructor(options: FrameConnectionOptions) {
    this.options = options;
    this.role = options.role;
    this.socket = options.socket;
    this.handlers = options.handlers;
    this.peerId = undefined;
    this.expectedPeerId = options.expectedPeerId;
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 5_000);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => this.onDrain());
    this.socket.on('connect', () => void this.remoteAddress);
    void this.remoteAddress;
    this.socket.on('error', (err) => {
      this.cause ??= new NetworkError(`connection error: ${err.message}`, { cause: err });
    });
    this.socket.on('close', () => this.onClose());
    this.handshakeTimer = setTimeout(
      () => this.destroy(new NetworkError(`handshake not completed within ${options.handshakeTimeoutMs} ms`)),
      options.handshakeTimeoutMs,
    );
    if (this.role === 'acceptor') {
      this.writeRaw([
        this.message(FrameType.CHALLENGE, { v: PROTOCOL_VERSION, id: options.localId, nonce: this.nonce }),
      ]);
    }
  }

  /** `host:port` of the peer (kept once known: a closed socket forgets it). */
  get remoteAddress(): string {
    if (this.remote === undefined && this.socket.remoteAddress !== undefined)
      this.remote = `${this.socket.remoteAddress}:${this.socket.remotePort}`;
    return this.remote ?? '?';
  }

  /**
   * Writes one frame (as its buffers, in order). Returns false, writing nothing, unless ACTIVE.
   * Never throws; a dead socket surfaces through `closed`.
   */
  send(frame: readonly Buffer[]): boolean {
    if (this.state !== 'ACTIVE') return false;
    this.writeRaw(frame);
    if (!this.congested && this.socket.writableLength >= this.options.writeHighWaterMarkBytes) {
      this.congested = true;
      this.handlers.writable(this, false);
    }
    return true;
  }

  /** True while the socket's write buffer is above the high-water mark. */
  get isCongested(): boolean {
    return this.congested;
  }

  /** True once the handshake completed (even if closed since). */
  get authenticated(): boolean {
    return this.wasActive;
  }

  /** Closes the connection now; `closed` follows with `cause` (undefined: requested close). */
  destroy(cause?: Error): void {
    if (this.state === 'CLOSED') return;
    this.cause ??= cause;
    if (!cause) this.closeRequested = true;
    this.state = 'CLOSED';
    this.clearHandshakeTimer();
    this.socket.destroy();
  }

  /** Closes on purpose after flushing what was written; `closed` follows without a cause. */
  end(): void {
    if (this.state === 'CLOSED') return;
    this.closeRequested = true;
    this.state = 'CLOSED';
    this.clearHandshakeTimer();
    this.socket.end(() => this.socket.destroy());
  }

  /** Folds the counts so far into `target` and keeps counting there (per-peer totals). */
  attachCounters(target: TransportCounters): void {
    target.bytesIn += this.counters.bytesIn;
    target.bytesOut += this.counters.bytesOut;
    target.framesIn += this.counters.framesIn;
    target.framesOut += this.counters.framesOut;
    this.counters = target;
  }

  private writeRaw(frame: readonly Buffer[]): void {
    if (!this.corked) {
      // Frames written in this event-loop turn leave together in one writev. Not nextTick: a
      // port dispatches each message in its own callback, so that would be a syscall per frame.
      this.corked = true;
      this.socket.cork();
      setImmediate(this.uncork);
    }
    for (const part of frame) {
      this.socket.write(part);
      this.counters.bytesOut += part.length;
    }
    this.counters.framesOut++;
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  private onDrain(): void {
    if (!this.congested || this.state !== 'ACTIVE') return;
    this.congested = false;
    this.handlers.writable(this, true);
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'CLOSED') return;
    this.counters.bytesIn += chunk.length;
    this.decoder.push(chunk);
    try {
      for (let frame = this.decoder.next(); frame; frame = this.decoder.next()) {
        this.counters.framesIn++;
        if (this.state === 'ACTIVE') this.onActiveFrame(frame);
        else this.onHandshakeFrame(frame);
        // A handler may have closed the connection; TS narrowed `state` above, hence the cast.
        if ((this.state as ConnectionState) === 'CLOSED') return;
      }
    } catch (err) {
      const cause = err instanceof Error ? err : new FrameFormatError(describeError(err));
      this.destroy(cause);
    }
  }

  private onActiveFrame(frame: Frame): void {
    if (frame.type <= FrameType.REJECT) {
      throw new FrameFormatError(`unexpected ${frameTypeName(frame.type)} frame on an open connection`);
    }
    this.handlers.frame(this, frame);
  }

  private onHandshakeFrame(frame: Frame): void {
    const expected = this.role === 'acceptor' ? [FrameType.HELLO] : this.expectedHandshakeFrames();
    if (!(expected as number[]).includes(frame.type)) {
      throw new FrameFormatError(
        `expected ${expected.map(frameTypeName).join('/')}, got ${frameTypeName(frame.type)}`,
      );
    }
    switch (frame.type) {
      case FrameType.HELLO:
        return this.onHello(frame.payload);
      case FrameType.CHALLENGE:
        return this.onChallenge(frame.payload);
      case FrameType.WELCOME:
        return this.onWelcome(frame.payload);
      case FrameType.REJECT:
        return this.onReject(frame.payload);
    }
  }

  private expectedHandshakeFrames(): FrameType[] {
    return this.peerId === undefined ? [FrameType.CHALLENGE] : [FrameType.WELCOME, FrameType.REJECT];
  }

  /** Acceptor: verify the dialer's proof, then admit or refuse. */
  private onHello(payload: Buffer): void {
    const hello = parseHello(payload);
    if (hello.v !== PROTOCOL_VERSION) return this.refuse('version', `protocol version ${hello.v}`);
    const expected = dialerProof(
      this.options.secret,
      this.options.protocol,
      this.nonce,
      hello.id,
      this.options.localId,
    );
    if (!proofMatches(expected, hello.mac)) return this.refuse('unauthorized', `bad HMAC from '${hello.id}'`);
    if (hello.id === this.options.localId) return this.refuse('unauthorized', 'peer claims our own id');
    this.peerId = hello.id;
    if (this.handlers.admit(this, hello.id) === 'duplicate') return this.refuse('duplicate');
    this.writeRaw([
      this.message(FrameType.WELCOME, {
        mac: acceptorProof(
          this.options.secret,
          this.options.protocol,
          hello.nonce,
          this.options.localId,
          hello.id,
        ),
      }),
    ]);
    this.activate();
  }

  /** Dialer: check who answered and prove we hold the token. */
  private onChallenge(payload: Buffer): void {
    const challenge = parseChallenge(payload);
    if (challenge.v !== PROTOCOL_VERSION)
      throw new PeerAuthenticationError(`peer speaks protocol ${challenge.v}`);
    const expectedId = this.options.expectedPeerId;
    if (expectedId !== undefined && challenge.id !== expectedId) {
      throw new PeerAuthenticationError(
        `expected '${expectedId}' at ${this.remoteAddress}, found '${challenge.id}'`,
      );
    }
    this.peerId = challenge.id;
    const mac = dialerProof(
      this.options.secret,
      this.options.protocol,
      challenge.nonce,
      this.options.localId,
      challenge.id,
    );
    this.writeRaw([
      this.message(FrameType.HELLO, {
        v: PROTOCOL_VERSION,
        id: this.options.localId,
        mac,
        nonce: this.nonce,
      }),
    ]);
  }

  /** Dialer: the acceptor must prove it holds the token too before we send it any records. */
  private onWelcome(payload: Buffer): void {
    const welcome = parseWelcome(payload);
    const expected = acceptorProof(
      this.options.secret,
      this.options.protocol,
      this.nonce,
      this.peerId as string,
      this.options.localId,
    );
    if (!proofMatches(expected, welcome.mac)) {
      throw new PeerAuthenticationError(
        `'${this.peerId}' at ${this.remoteAddress} failed to prove the cluster token`,
      );
    }
    this.activate();
  }

  private onReject(payload: Buffer): void {
    const { reason } = parseReject(payload);
    const cause =
      reason === 'duplicate'
        ? undefined
        : new PeerAuthenticationError(
            `'${this.peerId}' at ${this.remoteAddress} refused the connection: ${reason}`,
          );
    this.handlers.rejected(this, reason);
    this.destroy(cause);
  }

  /** Acceptor: tell the dialer why, then close once the REJECT is flushed. */
  private refuse(reason: RejectReason, detail?: string): void {
    if (reason !== 'duplicate') {
      this.reportRejection(reason, detail ?? reason);
      this.cause ??= new PeerAuthenticationError(`refused connection from ${this.remoteAddress}: ${reason}`);
    } else {
      this.closeRequested = true;
    }
    this.state = 'CLOSED';
    this.clearHandshakeTimer();
    this.socket.end(this.message(FrameType.REJECT, { reason }), () => this.socket.destroy());
  }

  private activate(): void {
    this.clearHandshakeTimer();
    this.state = 'ACTIVE';
    this.wasActive = true;
    this.decoder.setMaxFrameBytes(this.options.maxFrameBytes);
    this.handlers.active(this);
  }

  private message(type: FrameType, value: unknown): Buffer {
    return encodeMessageFrame(type, '', value, HANDSHAKE_MAX_FRAME_BYTES);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  private onClose(): void {
    this.clearHandshakeTimer();
    this.state = 'CLOSED';
    const peerClosed = !this.cause && !this.closeRequested;
    const cause = this.cause ?? (peerClosed ? new NetworkError('connection closed by peer') : undefined);
    if (cause) this.logFailure(cause, peerClosed);
    this.handlers.closed(this, cause);
  }

  /** Logs why this connection failed, once. */
  private logFailure(cause: Error, peerClosed: boolean): void {
    if (this.reported) return;
    this.reported = true;
    const context = {
      protocol: this.options.protocol,
      role: this.role,
      remote: this.remoteAddress,
      peer: this.peerId,
    };
    if (this.wasActive && peerClosed) {
      // An orderly close (FIN) by the peer, e.g. a process shutting down: the owner decides what it means.
      this.options.logger.info(context, 'peer closed the connection');
    } else if (this.wasActive) {
      this.options.logger.warn({ ...context, err: cause }, 'connection failed');
    } else if (this.role === 'acceptor' && peerClosed) {
      // Not a protocol error: e.g. a peer dropping its half of a simultaneous dial, or a port probe.
      this.options.logger.debug(context, 'peer closed the connection before authenticating');
    } else if (this.role === 'acceptor') {
      this.reportRejection(
        cause instanceof FrameFormatError ? 'malformed handshake' : 'handshake failed',
        cause.message,
      );
    } else {
      // A dial that fails is retried by the owner; only a terminal failure deserves a warning.
      const terminal = cause instanceof SluiceError && !cause.retryable;
      this.options.logger[terminal ? 'warn' : 'debug']({ ...context, err: cause }, 'handshake failed');
    }
  }

  private reportRejection(reason: string, detail: string): void {
    this.reported = true;
    const rejection = { remote: this.remoteAddress, reason, detail };
    if (this.options.rejections) this.options.rejections.record(rejection);
    else this.options.logger.warn(rejection, 'refused connection');
  }
}
