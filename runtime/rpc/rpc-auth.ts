import type { Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';
import { NetworkError, describeError } from '../errors';
import type { Logger } from '../util/logger';
import { createLogger } from '../util/logger';
import { DEFAULT_MAX_FRAME_BYTES } from '../wire/frame-codec';
import type { ConnectionHandlers, FrameConnectionOptions } from '../wire/frame-connection-options';
import { FrameConnection } from '../wire/frame-connection';
import { RejectionLog } from '../wire/rejection-log';
import type { RpcProtocol } from './rpc-connection';
import { RpcConnection } from './rpc-connection';

/**
 * Control connections: a FrameConnection speaking `sluice-control/1`, i.e. the same framing
 * and the same mutual HMAC handshake as the data exchange (runtime/wire/). The TaskManager
 * dials and proves it holds the cluster token; the job manager proves it too before the
 * TaskManager sends it anything, so a process that merely listens on the control address
 * learns nothing and cannot command TaskManagers.
 */
const HANDSHAKE_TIMEOUT_MS = 5_000;
/** Unauthenticated sockets cost buffers and timers: cap them so a flood cannot pile up. */
const MAX_PENDING_HANDSHAKES = 128;

export interface RpcServer {
  readonly server: Server;
  readonly port: number;
  /** Refused connections since start (bad token, garbage, timeouts, overload). */
  readonly rejectedConnections: number;
  close(): Promise<void>;
}

export interface RpcEndpointOptions {
  secret: string;
  /** Largest control frame sent or accepted (default 16 MiB). */
  maxFrameBytes?: number;
  handshakeTimeoutMs?: number;
  logger?: Logger;
}

/** Listens for authenticated control connections; `onConnection` gets each one after the handshake. */
export async function startRpcServer<P extends RpcProtocol = RpcProtocol>(
  options: RpcEndpointOptions & {
    host: string;
    port: number;
    serverId: string;
    onConnection: (connection: RpcConnection<P>) => void;
  },
): Promise<RpcServer> {
  const logger = options.logger ?? createLogger('rpc-server');
  const rejections = new RejectionLog(logger, 'control connection');
  const connections = new Set<FrameConnection>();
  const server = createServer((socket) => {
    let handshaking = 0;
    for (const c of connections) if (c.state === 'HANDSHAKING') handshaking++;
    if (handshaking >= MAX_PENDING_HANDSHAKES) {
      rejections.record({
        remote: `${socket.remoteAddress}:${socket.remotePort}`,
        reason: 'overloaded',
        detail: `${handshaking} connections are already handshaking`,
      });
      return void socket.destroy();
    }
    const conn = new FrameConnection({
      ...frameOptions(socket, 'acceptor', options.serverId, options, logger, options.onConnection, () =>
        connections.delete(conn),
      ),
      rejections,
    });
    connections.add(conn);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'control server error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    port,
    get rejectedConnections() {
      return rejections.count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.destroy();
        rejections.close();
        server.close(() => resolve());
      }),
  };
}

/** Connects and authenticates as `id`. Rejects with a `NetworkError` that says why. */
export function connectRpc<P extends RpcProtocol = RpcProtocol>(
  options: RpcEndpointOptions & { host: string; port: number; id: string; timeoutMs?: number },
): Promise<RpcConnection<P>> {
  const logger = options.logger ?? createLogger('rpc-client');
  const where = `${options.host}:${options.port}`;
  return new Promise((resolve, reject) => {
    const socket = connect(options.port, options.host);
    let connected = false;
    new FrameConnection(
      frameOptions<P>(
        socket,
        'dialer',
        options.id,
        { ...options, handshakeTimeoutMs: options.timeoutMs ?? options.handshakeTimeoutMs },
        logger,
        (rpc) => {
          connected = true;
          resolve(rpc);
        },
        (cause) => {
          if (connected) return;
          const why = cause ? describeError(cause) : 'closed during the handshake';
          reject(new NetworkError(`cannot connect to the job manager at ${where}: ${why}`, { cause }));
        },
      ),
    );
  });
}

/** Options of one control FrameConnection whose frames feed an RpcConnection once authenticated. */
function frameOptions<P extends RpcProtocol>(
  socket: Socket,
  role: 'acceptor' | 'dialer',
  localId: string,
  options: RpcEndpointOptions,
  logger: Logger,
  onOpen: (rpc: RpcConnection<P>) => void,
  onClosed: (cause: Error | undefined) => void,
): FrameConnectionOptions {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  let rpc: RpcConnection<P> | undefined;
  const handlers: ConnectionHandlers = {
    admit: () => 'accept',
    active: (conn) => {
      rpc = new RpcConnection<P>(conn, conn.peerId as string, maxFrameBytes);
      rpc.on('handler-error', (err: unknown, method: string) =>
        logger.error({ err, method, peer: conn.peerId }, 'control message handler failed'),
      );
      onOpen(rpc);
    },
    rejected: () => undefined,
    frame: (_conn, frame) => rpc?.onFrame(frame),
    writable: () => undefined,
    closed: (_conn, cause) => {
      rpc?.onClosed(cause);
      onClosed(cause);
    },
  };
  return {
    socket,
    role,
    protocol: 'sluice-control/1',
    localId,
    secret: options.secret,
    maxFrameBytes,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
    writeHighWaterMarkBytes: Number.MAX_SAFE_INTEGER,
    logger,
    handlers,
  };
}
