import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import pino from 'pino';
import { TcpExchange } from '../../../runtime/network/tcp/tcp-exchange';
import { connectRpc, startRpcServer } from '../../../runtime/rpc/rpc-auth';
import type { RpcServer } from '../../../runtime/rpc/rpc-auth';
import type { RpcConnection } from '../../../runtime/rpc/rpc-connection';
import { waitFor } from '../../../runtime/util/wait';
import { BadRequestError, NotFoundError } from '../../../runtime/errors';
import { FrameDecoder, FrameType, encodeMessageFrame } from '../../../runtime/wire/frame-codec';
import { PROTOCOL_VERSION, acceptorProof, newNonce, parseHello } from '../../../runtime/wire/handshake';
import { FrameTooLargeError } from '../../../runtime/wire/wire-errors';

interface LogLine {
  level: number;
  msg: string;
  reason?: string;
  detail?: string;
  err?: { message: string; stack?: string };
  suppressed?: number;
}

function memoryLogger(lines: LogLine[]): pino.Logger {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
}

const servers: RpcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(
  secret: string,
  options: { maxFrameBytes?: number; logs?: LogLine[] } = {},
): Promise<{ server: RpcServer; accepted: RpcConnection[] }> {
  const accepted: RpcConnection[] = [];
  const s = await startRpcServer({
    host: '127.0.0.1',
    port: 0,
    secret,
    serverId: 'jm',
    ...(options.maxFrameBytes ? { maxFrameBytes: options.maxFrameBytes } : {}),
    logger: memoryLogger(options.logs ?? []),
    onConnection: (c) => {
      accepted.push(c);
      c.handle('add', (b) => (b as number[]).reduce((x, y) => x + y, 0));
      c.handle('echo', (b) => b);
      c.handle('fail', () => {
        throw new Error('no such thing');
      });
      c.handle('lookup', () => {
        throw new NotFoundError('no job with id 42');
      });
    },
  });
  servers.push(s);
  return { server: s, accepted };
}

describe('control channel', () => {
  it('authenticates with the shared secret, then carries requests, replies, errors and messages both ways', async () => {
    const logs: LogLine[] = [];
    const { server: s, accepted } = await server('right', { logs });
    await expect(
      connectRpc({ host: '127.0.0.1', port: s.port, secret: 'wrong', id: 'tm-1', logger: memoryLogger([]) }),
    ).rejects.toThrow(/cannot connect to the job manager .*refused the connection: unauthorized/);
    await waitFor(() => s.rejectedConnections === 1);
    expect(logs.find((l) => l.msg === 'refused control connection')?.reason).toBe('unauthorized');
    const client = await connectRpc({ host: '127.0.0.1', port: s.port, secret: 'right', id: 'tm-2' });
    expect(client.peerId).toBe('jm');
    expect(await client.call('add', [1, 2, 3])).toBe(6);
    await expect(client.call('fail', null)).rejects.toThrow('no such thing');
    await expect(client.call('missing', null)).rejects.toThrow(/no handler for control message 'missing'/);
    // Typed errors cross the wire as their own classes.
    const lookup = await client.call('lookup', null).catch((err: unknown) => err);
    expect(lookup).toBeInstanceOf(NotFoundError);
    expect((lookup as NotFoundError).code).toBe('SLUICE_NOT_FOUND');
    await expect(client.call('missing', null)).rejects.toBeInstanceOf(BadRequestError);
    const got: unknown[] = [];
    client.handle('hello', (b) => void got.push(b));
    await waitFor(() => accepted.length === 1);
    expect(accepted[0]!.peerId).toBe('tm-2');
    accepted[0]!.notify('hello', { big: 'x'.repeat(200_000) });
    await waitFor(() => got.length === 1);
    const closed = new Promise((r) => accepted[0]!.once('close', r));
    client.close();
    await closed;
    await expect(client.call('add', [1])).rejects.toThrow(/closed/);
  });

  it('carries messages far over 4 KiB from the TaskManager side (the job output direction)', async () => {
    const { server: s } = await server('token');
    const client = await connectRpc({ host: '127.0.0.1', port: s.port, secret: 'token', id: 'tm' });
    try {
      for (const size of [4097, 64 * 1024, 3 * 1024 * 1024]) {
        const lines = Array.from({ length: size / 64 }, (_, i) => `${i}`.padEnd(64, '.'));
        const echoed = (await client.call('echo', lines)) as string[];
        expect(echoed).toEqual(lines);
      }
    } finally {
      client.close();
    }
  });

  it('is mutual: a client refuses a server that does not know the token, before sending anything', async () => {
    const impostor = await startImpostor();
    const logs: LogLine[] = [];
    await expect(
      connectRpc({
        host: '127.0.0.1',
        port: impostor.port,
        secret: 'real',
        id: 'tm',
        logger: memoryLogger(logs),
      }),
    ).rejects.toThrow(/'jm' at 127\.0\.0\.1:\d+ failed to prove the cluster token/);
    expect(impostor.framesAfterHello).toBe(0);
    expect(logs.some((l) => l.err?.message.includes('failed to prove the cluster token'))).toBe(true);
  });

  it('binds the plane into the proof: a data-plane peer with the right token is refused on the control port', async () => {
    const { server: s, accepted } = await server('token');
    const exchange = new TcpExchange({
      taskManagerId: 'tm-x',
      host: '127.0.0.1',
      port: 0,
      secret: 'token',
      maxConnectAttempts: 1,
      logger: memoryLogger([]),
    });
    await exchange.start();
    try {
      const lost: string[] = [];
      exchange.onPeerLost((peer) => lost.push(peer));
      const { port1 } = new MessageChannel();
      exchange.connectProducerChannel('j/0/e/0-0', port1, {
        taskManagerId: 'jm',
        host: '127.0.0.1',
        port: s.port,
      });
      await waitFor(() => lost.length === 1, { what: 'the control port to refuse the data-plane peer' });
      expect(s.rejectedConnections).toBe(1);
      expect(accepted).toHaveLength(0);
    } finally {
      await exchange.close();
    }
  });

  it('drops a connection whose peer sends a frame over the maximum, and logs why', async () => {
    const logs: LogLine[] = [];
    const { server: s, accepted } = await server('token', { maxFrameBytes: 64 * 1024, logs });
    const client = await connectRpc({ host: '127.0.0.1', port: s.port, secret: 'token', id: 'tm' });
    await expect(client.call('echo', 'y'.repeat(100_000))).rejects.toThrow(/closed/);
    await waitFor(() => logs.some((l) => l.msg === 'connection failed'));
    const line = logs.find((l) => l.msg === 'connection failed')!;
    expect(line.err?.message).toMatch(/frame of \d+ bytes exceeds the maximum of 65536 bytes/);
    expect(accepted[0]!.isClosed).toBe(true);
  });

  it('fails a call whose own message exceeds the maximum and keeps the connection', async () => {
    const { server: s } = await server('token');
    const client = await connectRpc({
      host: '127.0.0.1',
      port: s.port,
      secret: 'token',
      id: 'tm',
      maxFrameBytes: 8 * 1024,
    });
    try {
      await expect(client.call('echo', 'z'.repeat(10_000))).rejects.toThrow(FrameTooLargeError);
      expect(await client.call('add', [2, 3])).toBe(5);
    } finally {
      client.close();
    }
  });

  it('logs refused connections without a stack and rate-limits them', async () => {
    const logs: LogLine[] = [];
    const { server: s } = await server('token', { logs });
    for (let i = 0; i < 30; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(s.port, '127.0.0.1', () => socket.end(Buffer.alloc(64, 0xff)));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
        socket.resume();
      });
    }
    await waitFor(() => s.rejectedConnections === 30);
    const refused = logs.filter((l) => l.msg === 'refused control connection');
    expect(refused.length).toBe(5);
    expect(refused.every((l) => l.err === undefined && typeof l.detail === 'string')).toBe(true);
    await s.close();
    servers.splice(servers.indexOf(s), 1);
    const summary = logs.find((l) => l.suppressed !== undefined);
    expect(summary?.suppressed).toBe(25);
  });
});

/** A control server that does not know the token: it answers every HELLO with a made-up proof. */
async function startImpostor(): Promise<{ port: number; framesAfterHello: number }> {
  const state = { port: 0, framesAfterHello: 0 };
  const sockets: Socket[] = [];
  const impostor = createServer((socket) => {
    sockets.push(socket);
    const decoder = new FrameDecoder(1 << 20);
    let helloSeen = false;
    socket.on('error', () => undefined);
    socket.write(
      encodeMessageFrame(FrameType.CHALLENGE, '', { v: PROTOCOL_VERSION, id: 'jm', nonce: newNonce() }, 4096),
    );
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      for (let frame = decoder.next(); frame; frame = decoder.next()) {
        if (helloSeen) {
          state.framesAfterHello++;
          continue;
        }
        helloSeen = true;
        const hello = parseHello(frame.payload);
        const mac = acceptorProof('guessed', 'sluice-control/1', hello.nonce, 'jm', hello.id);
        socket.write(encodeMessageFrame(FrameType.WELCOME, '', { mac }, 4096));
      }
    });
  });
  await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
  state.port = (impostor.address() as { port: number }).port;
  servers.push({
    server: impostor,
    port: state.port,
    rejectedConnections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        impostor.close(() => resolve());
      }),
  });
  return state;
}
