import { NetworkError, SluiceError } from '../../errors';
import type { Logger } from '../../util/logger';
import type { FrameConnection } from '../../wire/frame-connection';
import type { TransportCounters } from '../../wire/frame-connection-options';
import { newCounters } from '../../wire/frame-connection-options';
import type { RejectReason } from '../../wire/handshake';

export interface PeerAddress {
  host: string;
  port: number;
}

/** Cumulative per-peer counters (they survive reconnects, as Prometheus counters do). */
export interface PeerCounters extends TransportCounters {
  /** Frames that arrived for released (stale attempt) or unknown channels and were dropped. */
  droppedStaleFrames: number;
  /** Messages a local port posted for a channel that can no longer send (lost, closed, shut down). */
  droppedOutboundFrames: number;
}

/**
 * IDLE: no connection (never connected, gave up, or lost). CONNECTING: dialing with backoff,
 * or waiting for the peer's own connection after ours was refused as a duplicate; frames are
 * queued. ACTIVE: one authenticated connection carries every channel to this peer.
 */
export type LinkState = 'IDLE' | 'CONNECTING' | 'ACTIVE';

export interface PeerLinkEnv {
  readonly localId: string;
  readonly maxConnectAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** How long to wait for the peer's connection after ours was refused as a duplicate. */
  readonly duplicateWaitMs: number;
  /** Bound on frames queued while CONNECTING. */
  readonly maxQueuedBytes: number;
  readonly logger: Logger;
  /** Opens a dialer connection to the peer (handlers route its events back to this link). */
  dial(link: PeerLink, address: PeerAddress): FrameConnection;
  /** The link lost its connection or gave up connecting; its channels are affected. */
  lost(link: PeerLink, cause: Error): void;
}

/**
 * Everything this TaskManager knows about one peer TaskManager: the single connection the pair
 * shares (whichever side dialed it), the queue of frames waiting for it, the channels routed
 * over it, and counters. Pair rule: when both sides dial at once, the connection dialed by the
 * lower TaskManager id wins; the other is refused as `duplicate` before any channel frame is
 * sent on it, so a channel's frames never straddle two connections.
 */
export class PeerLink {
  readonly peerId: string;
  address: PeerAddress | undefined;
  state: LinkState = 'IDLE';
  /** The ACTIVE connection. */
  conn: FrameConnection | undefined;
  /** Channel ids routed over this link; reported when it is lost. */
  readonly channels = new Set<string>();
  readonly counters: PeerCounters = { ...newCounters(), droppedStaleFrames: 0, droppedOutboundFrames: 0 };

  private pendingDial: FrameConnection | undefined;
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private queue: Buffer[][] = [];
  private queuedBytes = 0;
  private shutDown = false;

  constructor(
    peerId: string,
    private readonly env: PeerLinkEnv,
  ) {
    this.peerId = peerId;
  }

  /** Starts dialing unless a connection is open or being opened. Needs `address`. */
  ensureConnected(): void {
    if (this.shutDown || this.state !== 'IDLE') return;
    this.state = 'CONNECTING';
    this.attempts = 0;
    this.dialNext();
  }

  /**
   * Sends one frame over the active connection, or queues it while connecting. Returns false
   * when the frame was dropped (link idle or shut down). Order is preserved across the switch.
   */
  send(frame: Buffer[]): boolean {
    if (this.state === 'ACTIVE' && this.conn) return this.conn.send(frame);
    if (this.state !== 'CONNECTING') return false;
    this.queue.push(frame);
    for (const part of frame) this.queuedBytes += part.length;
    if (this.queuedBytes > this.env.maxQueuedBytes) {
      this.giveUp(
        new NetworkError(
          `more than ${this.env.maxQueuedBytes} bytes queued for '${this.peerId}' while connecting`,
        ),
      );
    }
    return true;
  }

  /** Acceptor side: may the peer's connection be this pair's link? (see the pair rule) */
  admit(): 'accept' | 'duplicate' {
    if (this.shutDown) return 'duplicate';
    const ourDialOpen = this.pendingDial !== undefined || this.conn?.role === 'dialer';
    return this.env.localId < this.peerId && ourDialOpen ? 'duplicate' : 'accept';
  }

  /** A connection to this peer finished its handshake. */
  onConnectionActive(conn: FrameConnection): void {
    if (this.shutDown) return conn.destroy();
    if (this.conn && this.conn !== conn) {
      // The peer dialed again, so it has given up on the old connection: its channels are gone.
      const old = this.conn;
      this.conn = undefined;
      old.destroy();
      this.env.lost(
        this,
        new NetworkError(`TaskManager '${this.peerId}' reconnected; the previous connection is gone`),
      );
    }
    if (this.pendingDial && this.pendingDial !== conn) {
      this.pendingDial.destroy();
    }
    this.pendingDial = undefined;
    this.clearTimer();
    this.conn = conn;
    this.state = 'ACTIVE';
    conn.attachCounters(this.counters);
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const frame of queued) conn.send(frame);
  }

  /** Our dial was refused. A duplicate means the peer's own connection is on its way. */
  onConnectionRejected(conn: FrameConnection, reason: RejectReason): void {
    if (conn !== this.pendingDial || reason !== 'duplicate') return;
    this.pendingDial = undefined;
    if (this.state !== 'CONNECTING') return;
    this.env.logger.debug(
      { peer: this.peerId },
      'dial refused as duplicate; waiting for the peer to connect',
    );
    this.schedule(this.env.duplicateWaitMs);
  }

  /** A connection to this peer closed (ours or theirs, active or not). */
  onConnectionClosed(conn: FrameConnection, cause: Error | undefined): void {
    if (this.shutDown) return;
    if (conn === this.conn) {
      this.conn = undefined;
      this.state = 'IDLE';
      this.env.lost(this, cause ?? new NetworkError(`connection to TaskManager '${this.peerId}' closed`));
      return;
    }
    if (conn !== this.pendingDial) return;
    this.pendingDial = undefined;
    if (this.state !== 'CONNECTING') return;
    const terminal = cause instanceof SluiceError && !cause.retryable;
    if (terminal || this.attempts >= this.env.maxConnectAttempts) {
      return this.giveUp(cause ?? new NetworkError(`could not connect to TaskManager '${this.peerId}'`));
    }
    const backoff = Math.min(this.env.retryMaxMs, this.env.retryBaseMs * 2 ** (this.attempts - 1));
    this.env.logger.debug(
      { peer: this.peerId, attempt: this.attempts, backoff, err: cause },
      'dial failed; retrying',
    );
    this.schedule(backoff * (0.8 + Math.random() * 0.4));
  }

  /** Drops queued frames and closes every connection of this link; no further dials. */
  shutdown(): number {
    this.shutDown = true;
    this.clearTimer();
    const dropped = this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
    this.pendingDial?.destroy();
    this.conn?.destroy();
    this.pendingDial = undefined;
    this.conn = undefined;
    this.state = 'IDLE';
    return dropped;
  }

  private dialNext(): void {
    if (this.shutDown || this.state !== 'CONNECTING') return;
    if (!this.address)
      return this.giveUp(new NetworkError(`no address known for TaskManager '${this.peerId}'`));
    if (this.attempts >= this.env.maxConnectAttempts) {
      return this.giveUp(
        new NetworkError(`TaskManager '${this.peerId}' did not connect back after refusing ours`),
      );
    }
    this.attempts++;
    this.pendingDial = this.env.dial(this, this.address);
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dialNext();
    }, delayMs);
  }

  private giveUp(cause: Error): void {
    this.clearTimer();
    const dial = this.pendingDial;
    this.pendingDial = undefined;
    dial?.destroy();
    this.counters.droppedOutboundFrames += this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
    this.state = 'IDLE';
    this.env.logger.warn(
      { peer: this.peerId, attempts: this.attempts, err: cause },
      'giving up on TaskManager link',
    );
    this.env.lost(this, cause);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
