import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';
import { NetworkError } from '../errors';
import { MessageDecoder, frameMessage } from './message-framing';
import { RpcConnection } from './rpc-connection';

/**
 * Control-channel authentication: the server sends a random nonce; the client answers with
 * its id and HMAC-SHA256(secret, nonce|id); the server checks it in constant time. The secret
 * (the cluster token) never crosses the wire.
 */
type Handshake =
  | { t: 'challenge'; nonce: string; serverId: string }
  | { t: 'hello'; id: string; mac: string }
  | { t: 'welcome' }
  | { t: 'denied'; reason: string };

const HANDSHAKE_TIMEOUT_MS = 5_000;
const HANDSHAKE_MAX_BYTES = 4096;

export function handshakeMac(secret: string, nonce: string, id: string): string {
  return createHmac('sha256', secret).update(`${nonce}|${id}`).digest('hex');
}

export interface RpcServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** Listens for authenticated control connections; `onConnection` gets each one after the handshake. */
export async function startRpcServer(options: {
  host: string;
  port: number;
  secret: string;
  serverId: string;
  onConnection: (connection: RpcConnection) => void;
  onRejected?: (reason: string, remote: string) => void;
}): Promise<RpcServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    acceptHandshake(socket, options);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function acceptHandshake(
  socket: Socket,
  options: {
    secret: string;
    serverId: string;
    onConnection: (c: RpcConnection) => void;
    onRejected?: (r: string, remote: string) => void;
  },
): void {
  const nonce = randomBytes(32).toString('hex');
  const decoder = new MessageDecoder(HANDSHAKE_MAX_BYTES);
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  const deny = (reason: string): void => {
    options.onRejected?.(reason, remote);
    socket.end(frameMessage({ t: 'denied', reason } satisfies Handshake));
    socket.destroySoon();
  };
  const timer = setTimeout(() => deny('handshake timed out'), HANDSHAKE_TIMEOUT_MS);
  const onData = (chunk: Buffer): void => {
    let messages: unknown[];
    try {
      messages = decoder.push(chunk);
    } catch {
      clearTimeout(timer);
      return deny('handshake message too large');
    }
    if (messages.length === 0) return;
    clearTimeout(timer);
    socket.off('data', onData);
    const hello = messages[0] as Handshake;
    if (hello?.t !== 'hello' || typeof hello.id !== 'string' || typeof hello.mac !== 'string')
      return deny('expected hello');
    const expected = Buffer.from(handshakeMac(options.secret, nonce, hello.id), 'hex');
    const given = Buffer.from(hello.mac, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return deny('authentication failed');
    socket.write(frameMessage({ t: 'welcome' } satisfies Handshake));
    options.onConnection(new RpcConnection(socket, hello.id, decoder, messages.slice(1)));
  };
  socket.on('data', onData);
  socket.on('error', () => clearTimeout(timer));
  socket.write(frameMessage({ t: 'challenge', nonce, serverId: options.serverId } satisfies Handshake));
}

/** Connects and authenticates as `id`. Rejects with a `NetworkError` that says why. */
export function connectRpc(options: {
  host: string;
  port: number;
  secret: string;
  id: string;
  timeoutMs?: number;
}): Promise<RpcConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(options.port, options.host);
    const decoder = new MessageDecoder(MAX_HANDSHAKE_REPLY);
    let serverId = `${options.host}:${options.port}`;
    const fail = (reason: string): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(
        new NetworkError(`cannot connect to the job manager at ${options.host}:${options.port}: ${reason}`),
      );
    };
    const timer = setTimeout(() => fail('handshake timed out'), options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    socket.on('error', (err) => fail(err.message));
    const onData = (chunk: Buffer): void => {
      let messages: unknown[];
      try {
        messages = decoder.push(chunk);
      } catch (err) {
        return fail((err as Error).message);
      }
      while (messages.length > 0) {
        const m = messages.shift() as Handshake;
        if (m.t === 'challenge') {
          serverId = m.serverId;
          socket.write(
            frameMessage({
              t: 'hello',
              id: options.id,
              mac: handshakeMac(options.secret, m.nonce, options.id),
            } satisfies Handshake),
          );
        } else if (m.t === 'denied') {
          return fail(`rejected: ${m.reason} (check the cluster token)`);
        } else if (m.t === 'welcome') {
          clearTimeout(timer);
          socket.off('data', onData);
          socket.removeAllListeners('error');
          return resolve(new RpcConnection(socket, serverId, decoder, messages));
        }
      }
    };
    socket.on('data', onData);
  });
}

const MAX_HANDSHAKE_REPLY = 64 * 1024 * 1024;
