import type { Socket } from 'node:net';
import type { Logger } from '../util/logger';
import type { Frame } from './frame-codec';
import type { FrameConnection } from './frame-connection';
import type { RejectReason, WireProtocol } from './handshake';
import type { RejectionLog } from './rejection-log';

/** What an owner gives a FrameConnection and gets back from it (see frame-connection.ts). */

export type ConnectionRole = 'dialer' | 'acceptor';

/**
 * HANDSHAKING: socket open, peer not yet proven. ACTIVE: authenticated, channel frames flow.
 * CLOSED: destroyed or refused; nothing is sent or delivered any more.
 */
export type ConnectionState = 'HANDSHAKING' | 'ACTIVE' | 'CLOSED';

export interface TransportCounters {
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
}

export function newCounters(): TransportCounters {
  return { bytesIn: 0, bytesOut: 0, framesIn: 0, framesOut: 0 };
}

/** Callbacks from a connection to its owner. Called on the main thread, in order. */
export interface ConnectionHandlers {
  /** Acceptor only: the dialer proved it holds the token; may it use this connection? */
  admit(conn: FrameConnection, peerId: string): 'accept' | 'duplicate';
  /** Handshake done: `conn.peerId` is set and channel frames may be sent. */
  active(conn: FrameConnection): void;
  /** Dialer only: the acceptor refused the connection. `closed` follows. */
  rejected(conn: FrameConnection, reason: RejectReason): void;
  /** A channel frame arrived on an ACTIVE connection. */
  frame(conn: FrameConnection, frame: Frame): void;
  /** The socket's write buffer crossed the high-water mark (false) or drained (true). */
  writable(conn: FrameConnection, writable: boolean): void;
  /** Called exactly once, when the socket is gone. `cause` is absent for a requested close. */
  closed(conn: FrameConnection, cause: Error | undefined): void;
}

export interface FrameConnectionOptions {
  socket: Socket;
  role: ConnectionRole;
  /** Control or data plane; bound into the handshake proofs. */
  protocol: WireProtocol;
  localId: string;
  secret: string;
  /** Dialer only: the peer we meant to reach; any other id at the address is refused. Unset: any id. */
  expectedPeerId?: string;
  maxFrameBytes: number;
  handshakeTimeoutMs: number;
  writeHighWaterMarkBytes: number;
  logger: Logger;
  /** Acceptor only: where refused connections are logged (rate-limited). */
  rejections?: RejectionLog;
  handlers: ConnectionHandlers;
}
