import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import { ConfigError, NetworkError, SluiceError } from '../../errors';
import { createLogger } from '../../util/logger';
import type { Logger } from '../../util/logger';
import { ChannelRouter } from './channel-router';
import type { ConnectionHandlers, FrameConnectionOptions } from '../../wire/frame-connection-options';
import { FrameConnection } from '../../wire/frame-connection';
import { DEFAULT_MAX_FRAME_BYTES } from '../../wire/frame-codec';
import { RejectionLog } from '../../wire/rejection-log';
import { PeerLink } from './peer-link';
import type { LinkState, PeerAddress, PeerCounters, PeerLinkEnv } from './peer-link';

export interface TcpExchangeOptions {
  /** This TaskManager's id; peers authenticate it and the lower id wins a simultaneous dial. */
  taskManagerId: string;
  /** Address to listen on (loopback or the container's address). */
  host: string;
  /** 0 picks a free port; `start()` returns the bound one. */
  port: number;
  /** Cluster token: the HMAC key of the handshake. Never sent. */
  secret: string;
  /** Largest frame accepted or sent (default 16 MiB); must hold the largest record buffer. */
  maxFrameBytes?: number;
  logger?: Logger;
  handshakeTimeoutMs?: number;
  /** Dial attempts before a peer is reported lost (default 8, about 7 s with backoff). */
  maxConnectAttempts?: number;
  connectRetryBaseMs?: number;
  connectRetryMaxMs?: number;
  /** Socket write-buffer size above which producer ports stop being read (default 1 MiB). */
  writeHighWaterMarkBytes?: number;
  /** Bound on bytes held for consumers not registered yet, and queued while connecting (default 64 MiB). */
  maxHeldBytes?: number;
}

const MAX_PENDING_HANDSHAKES = 128;

type ResolvedTcpExchangeConfig = Required<Omit<TcpExchangeOptions, 'logger'>>;

export interface PeerStats extends PeerCounters {
  state: LinkState;
  channels: number;
}

export interface TcpExchangeStats {
  /** Authenticated connections currently open. */
  openConnections: number;
  /** Sockets accepted / dialed since start (including refused and failed ones). */
  acceptedConnections: number;
  dialedConnections: number;
  /** Incoming connections closed before authenticating (bad token, garbage, timeout). */
  refusedConnections: number;
  producerChannels: number;
  consumerChannels: number;
  /** Bytes held for consumers that have not registered yet. */
  heldBytes: number;
  peers: Record<string, PeerStats>;
}

export type PeerLostListener = (peerTaskManagerId: string, channelIds: string[]) => void;
export type ChannelFailureListener = (channelId: string, error: SluiceError) => void;

/**
 * The TCP exchange transport of one TaskManager process (docs/architecture.md §5): one listening socket and
 * one multiplexed, authenticated connection per peer TaskManager, shared by all channels of all
 * jobs. It relays channel messages between local MessagePorts (the far ends of task channels)
 * and peers, unchanged and in order per channel. Credits are end to end (tasks handle them);
 * the exchange honours TCP backpressure by not reading producer ports while a socket's write
 * buffer is above its high-water mark, and bounds what it holds for consumers not yet registered.
 *
 * Ownership: ports handed to the exchange are closed by it when their channel is released.
 * All methods run on the TaskManager's main thread.
 */
export class TcpExchange {
  private readonly config: ResolvedTcpExchangeConfig;
  private readonly logger: Logger;
  private readonly server: Server;
  private readonly router: ChannelRouter;
  private readonly links = new Map<string, PeerLink>();
  private readonly connections = new Set<FrameConnection>();
  private readonly peerLostListeners = new Set<PeerLostListener>();
  private readonly channelFailureListeners = new Set<ChannelFailureListener>();
  private readonly handlers: ConnectionHandlers;
  private readonly linkEnv: PeerLinkEnv;
  private readonly rejections: RejectionLog;
  private accepted = 0;
  private dialed = 0;
  private refused = 0;
  private state: 'CREATED' | 'LISTENING' | 'CLOSED' = 'CREATED';

  constructor(options: TcpExchangeOptions) {
    this.config = resolveConfig(options);
    this.logger = options.logger ?? createLogger('tcp-exchange', { taskManagerId: options.taskManagerId });
    this.rejections = new RejectionLog(this.logger, 'data-port connection');
    this.server = createServer((socket) => this.accept(socket));
    this.router = new ChannelRouter(this.config, this.logger, (channelId, error) => {
      for (const listener of this.channelFailureListeners)
        safeCall(this.logger, () => listener(channelId, error));
    });
    this.handlers = this.connectionHandlers();
    this.linkEnv = {
      localId: this.config.taskManagerId,
      maxConnectAttempts: this.config.maxConnectAttempts,
      retryBaseMs: this.config.connectRetryBaseMs,
      retryMaxMs: this.config.connectRetryMaxMs,
      duplicateWaitMs: this.config.handshakeTimeoutMs,
      maxQueuedBytes: this.config.maxHeldBytes,
      logger: this.logger,
      dial: (link, address) => this.dial(link, address),
      lost: (link, cause) => this.peerLost(link, cause),
    };
  }

  /** Listens; resolves with the bound address (the one to publish to peers). */
  async start(): Promise<{ host: string; port: number }> {
    if (this.state !== 'CREATED')
      throw new NetworkError('TcpExchange was already started', { retryable: false });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(new NetworkError(`cannot listen on ${this.config.host}:${this.config.port}`, { cause: err }));
      this.server.once('error', onError);
      this.server.listen(this.config.port, this.config.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (err) => this.logger.error({ err }, 'TCP exchange server error'));
    this.state = 'LISTENING';
    const address = this.server.address();
    const port = typeof address === 'object' && address ? address.port : this.config.port;
    this.logger.info({ host: this.config.host, port }, 'TCP exchange listening');
    return { host: this.config.host, port };
  }

  /**
   * Stops listening, closes every connection and every channel port, and fails what is still
   * queued for a peer (dropped, counted as dropped outbound). Does not report peers lost: this
   * process is the one going away. Idempotent.
   */
  async close(): Promise<void> {
    if (this.state === 'CLOSED') return;
    const wasListening = this.state === 'LISTENING';
    this.state = 'CLOSED';
    this.router.closeAll();
    for (const link of this.links.values()) link.counters.droppedOutboundFrames += link.shutdown();
    for (const conn of this.connections) conn.destroy();
    this.rejections.close();
    if (wasListening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Routes a channel whose producer task is local and whose consumer lives on `peer`.
   * `localPort` is the far end of the producer task's channel: the exchange reads downstream
   * messages (data, event) from it and sends them to the peer in order; it posts upstream
   * messages (credit, eop-ack) from the peer into it. Connects lazily, reusing the pair's one
   * connection. Takes ownership of the port. Throws if the channel id is already routed here.
   */
  connectProducerChannel(
    channelId: string,
    localPort: MessagePort,
    peer: { taskManagerId: string; host: string; port: number },
  ): void {
    this.assertOpen();
    this.router.assertFree(channelId);
    if (peer.taskManagerId === this.config.taskManagerId) {
      throw new SluiceError('SLUICE_BAD_REQUEST', `channel '${channelId}' is local: use the local transport`);
    }
    const link = this.link(peer.taskManagerId);
    link.address = { host: peer.host, port: peer.port };
    link.ensureConnected();
    this.router.addProducer(channelId, localPort, link);
  }

  /**
   * Routes a channel whose consumer task is local. `localPort` is the far end of the consumer
   * task's channel: downstream messages from the peer are posted into it in order (data
   * buffers transferred), first any that arrived before registration; upstream messages read
   * from it go back over the connection the channel's producer uses (held until its first
   * frame says which). Takes ownership of the port. Throws if the channel id is already routed.
   */
  registerConsumerChannel(channelId: string, localPort: MessagePort): void {
    this.assertOpen();
    this.router.assertFree(channelId);
    this.router.addConsumer(channelId, localPort);
  }

  /**
   * Stops relaying `channelId`, closes its local port, tells the peer (CLOSE_CHANNEL) and drops
   * its state. Frames arriving for it later are dropped and counted as stale. Idempotent; an
   * unknown id is remembered as released.
   */
  releaseChannel(channelId: string): void {
    this.router.release(channelId);
  }

  /**
   * Releases every channel whose id starts with `prefix` (e.g. `jobId/attempt/`) and marks the
   * prefix released, so frames of that attempt arriving later are dropped as stale.
   */
  releaseChannelsWithPrefix(prefix: string): void {
    this.router.releasePrefix(prefix);
  }

  /**
   * `listener(peer, channelIds)` runs when the connection to a peer drops, or the peer cannot
   * be reached within the dial retries; `channelIds` are the channels that were routed over
   * it. They are dead: later messages on them are dropped, so the TaskManager should fail the
   * tasks. Not called by `close()`. Returns an unsubscribe function.
   */
  onPeerLost(listener: PeerLostListener): () => void {
    this.peerLostListeners.add(listener);
    return () => this.peerLostListeners.delete(listener);
  }

  /**
   * `listener(channelId, error)` runs when a local producer posted something that cannot be
   * sent (malformed, or a buffer over `maxFrameBytes`); the channel stops. Returns an unsubscribe function.
   */
  onChannelFailure(listener: ChannelFailureListener): () => void {
    this.channelFailureListeners.add(listener);
    return () => this.channelFailureListeners.delete(listener);
  }

  /** Counters for metrics; per-peer values are cumulative since start. */
  stats(): TcpExchangeStats {
    const peers: Record<string, PeerStats> = {};
    for (const link of this.links.values()) {
      peers[link.peerId] = { ...link.counters, state: link.state, channels: link.channels.size };
    }
    let openConnections = 0;
    for (const conn of this.connections) if (conn.state === 'ACTIVE') openConnections++;
    return {
      openConnections,
      acceptedConnections: this.accepted,
      dialedConnections: this.dialed,
      refusedConnections: this.refused,
      producerChannels: this.router.producerCount,
      consumerChannels: this.router.registeredConsumerCount,
      heldBytes: this.router.heldByteCount,
      peers,
    };
  }

  private peerLost(link: PeerLink, cause: Error): void {
    if (this.state === 'CLOSED') return;
    const channelIds = this.router.linkLost(link);
    this.logger.warn({ peer: link.peerId, channels: channelIds.length, err: cause }, 'lost TaskManager peer');
    for (const listener of this.peerLostListeners)
      safeCall(this.logger, () => listener(link.peerId, channelIds));
  }

  private accept(socket: Socket): void {
    if (this.state !== 'LISTENING') return void socket.destroy();
    this.accepted++;
    let handshaking = 0;
    for (const conn of this.connections)
      if (conn.role === 'acceptor' && conn.state === 'HANDSHAKING') handshaking++;
    if (handshaking >= MAX_PENDING_HANDSHAKES) {
      // Unauthenticated sockets cost us buffers and timers: cap them so a flood cannot pile up.
      this.refused++;
      this.rejections.record({
        remote: `${socket.remoteAddress}:${socket.remotePort}`,
        reason: 'overloaded',
        detail: `${handshaking} connections are already handshaking`,
      });
      return void socket.destroy();
    }
    this.connections.add(new FrameConnection(this.connectionOptions(socket, 'acceptor')));
  }

  private dial(link: PeerLink, address: PeerAddress): FrameConnection {
    this.dialed++;
    const socket = connect({ host: address.host, port: address.port });
    const conn = new FrameConnection({
      ...this.connectionOptions(socket, 'dialer'),
      expectedPeerId: link.peerId,
    });
    this.connections.add(conn);
    return conn;
  }

  private connectionOptions(socket: Socket, role: 'acceptor' | 'dialer'): FrameConnectionOptions {
    return {
      socket,
      role,
      protocol: 'sluice-data/1',
      localId: this.config.taskManagerId,
      secret: this.config.secret,
      maxFrameBytes: this.config.maxFrameBytes,
      handshakeTimeoutMs: this.config.handshakeTimeoutMs,
      writeHighWaterMarkBytes: this.config.writeHighWaterMarkBytes,
      logger: this.logger,
      rejections: this.rejections,
      handlers: this.handlers,
    };
  }

  private connectionHandlers(): ConnectionHandlers {
    const linkOf = (conn: FrameConnection): PeerLink | undefined => {
      const peerId = conn.peerId ?? conn.expectedPeerId;
      return peerId === undefined ? undefined : this.links.get(peerId);
    };
    return {
      admit: (_conn, peerId) => (this.state === 'LISTENING' ? this.link(peerId).admit() : 'duplicate'),
      active: (conn) => {
        this.logger.info(
          { peer: conn.peerId, role: conn.role, remote: conn.remoteAddress },
          'TCP exchange connection open',
        );
        linkOf(conn)?.onConnectionActive(conn);
      },
      rejected: (conn, reason) => linkOf(conn)?.onConnectionRejected(conn, reason),
      frame: (conn, frame) => {
        const link = linkOf(conn);
        if (link && link.conn === conn) this.router.onFrame(link, frame);
        else if (link) link.counters.droppedStaleFrames++;
      },
      writable: (conn, writable) => {
        const link = linkOf(conn);
        if (link && link.conn === conn) this.router.setPaused(link, !writable);
      },
      closed: (conn, cause) => {
        this.connections.delete(conn);
        // FrameConnection logged the cause; refusals of strangers rate-limited.
        if (conn.role === 'acceptor' && !conn.authenticated && cause) this.refused++;
        linkOf(conn)?.onConnectionClosed(conn, cause);
      },
    };
  }

  private link(peerId: string): PeerLink {
    let link = this.links.get(peerId);
    if (!link) {
      link = new PeerLink(peerId, this.linkEnv);
      this.links.set(peerId, link);
    }
    return link;
  }

  private assertOpen(): void {
    if (this.state === 'CLOSED') throw new NetworkError('TcpExchange is closed', { retryable: false });
  }
}

function resolveConfig(options: TcpExchangeOptions): ResolvedTcpExchangeConfig {
  if (!options.taskManagerId) throw new ConfigError('TcpExchange: taskManagerId must not be empty');
  if (!options.secret) throw new ConfigError('TcpExchange: secret (cluster token) must not be empty');
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1024 || maxFrameBytes > 0xffffffff) {
    throw new ConfigError(
      `TcpExchange: maxFrameBytes must be an integer in [1024, 2^32), got ${maxFrameBytes}`,
    );
  }
  return Object.freeze({
    taskManagerId: options.taskManagerId,
    host: options.host,
    port: options.port,
    secret: options.secret,
    maxFrameBytes,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    maxConnectAttempts: options.maxConnectAttempts ?? 8,
    connectRetryBaseMs: options.connectRetryBaseMs ?? 100,
    connectRetryMaxMs: options.connectRetryMaxMs ?? 2_000,
    writeHighWaterMarkBytes: options.writeHighWaterMarkBytes ?? 1024 * 1024,
    maxHeldBytes: options.maxHeldBytes ?? 64 * 1024 * 1024,
  });
}

function safeCall(logger: Logger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    logger.error({ err }, 'TcpExchange listener threw');
  }
}
