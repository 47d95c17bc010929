import { createHash } from 'node:crypto';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import pino from 'pino';
import { channelId } from '../../../runtime/graph/channel-id';
import { encodeDataFrame } from '../../../runtime/network/tcp/channel-frames';
import { FrameDecoder, FrameType, encodeMessageFrame } from '../../../runtime/wire/frame-codec';
import { PROTOCOL_VERSION, acceptorProof, newNonce, parseHello } from '../../../runtime/wire/handshake';
import { TcpExchange } from '../../../runtime/network/tcp/tcp-exchange';
import type { TcpExchangeOptions } from '../../../runtime/network/tcp/tcp-exchange';
import { waitFor } from '../../../runtime/util/wait';
import { BUFFER_BYTES, TestConsumer, TestProducer, patterned } from '../../helpers/channel-ends';

const SECRET = 'test-cluster-token';

interface Node {
  exchange: TcpExchange;
  id: string;
  host: string;
  port: number;
}

function expectPatterned(message: { buf: ArrayBuffer; n: number }, bytes = BUFFER_BYTES): void {
  expect(message.buf.byteLength).toBe(bytes);
  expect(Buffer.from(message.buf).equals(Buffer.from(patterned(message.n, bytes)))).toBe(true);
}

const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function startNode(id: string, options: Partial<TcpExchangeOptions> = {}): Promise<Node> {
  const exchange = new TcpExchange({
    taskManagerId: id,
    host: '127.0.0.1',
    port: 0,
    secret: SECRET,
    ...options,
  });
  cleanups.push(() => exchange.close());
  const { host, port } = await exchange.start();
  return { exchange, id, host, port };
}

function peerOf(node: Node): { taskManagerId: string; host: string; port: number } {
  return { taskManagerId: node.id, host: node.host, port: node.port };
}

/** Wires a producer on `from` to a consumer on `to` for channel `id`. */
function wire(from: Node, to: Node, id: string, initialCredit = 4, registerConsumer = true) {
  const producer = new TestProducer();
  const consumer = new TestConsumer(initialCredit);
  cleanups.push(
    () => producer.close(),
    () => consumer.close(),
  );
  from.exchange.connectProducerChannel(id, producer.far, peerOf(to));
  if (registerConsumer) to.exchange.registerConsumerChannel(id, consumer.far);
  return { producer, consumer };
}

function memoryLogger(lines: string[]): pino.Logger {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
}

describe('TcpExchange over loopback', () => {
  it('relays records in order with their bytes intact, and credits and eop-ack back', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const id = channelId('job1', 0, 'e1', 0, 0);
    const { producer, consumer } = wire(a, b, id, 4);

    await producer.sendBuffers(200);
    producer.sendEvent({ t: 'event', e: { kind: 'barrier', checkpointId: 7, timestamp: 123 } });
    producer.sendEvent({ t: 'event', e: { kind: 'end-of-partition' } });

    await waitFor(() => producer.eopAcked, { what: 'eop-ack at the producer' });
    expect(consumer.data.map((m) => m.n)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    for (const message of consumer.data) expectPatterned(message);
    expect(consumer.received.slice(-2)).toEqual([
      { t: 'event', e: { kind: 'barrier', checkpointId: 7, timestamp: 123 } },
      { t: 'event', e: { kind: 'end-of-partition' } },
    ]);
    // 4 initial credits + one per buffer read, all relayed back.
    await waitFor(() => producer.credit === 4, { what: 'all credits back' });
    const aStats = a.exchange.stats().peers['tm-b'];
    const bStats = b.exchange.stats().peers['tm-a'];
    expect(aStats?.bytesOut).toBe(bStats?.bytesIn);
    expect(aStats?.bytesOut).toBeGreaterThan(200 * BUFFER_BYTES);
    expect(bStats?.framesIn).toBeGreaterThanOrEqual(203);
  });

  it('multiplexes many channels of both directions over exactly one connection', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const pairs: Array<ReturnType<typeof wire>> = [];
    // Both sides dial in the same tick: the pair must still end up with one connection.
    for (let i = 0; i < 20; i++) {
      pairs.push(wire(a, b, channelId('jobA', 0, 'e', i, 0), 2));
      pairs.push(wire(b, a, channelId('jobB', 0, 'e', i, 0), 2));
    }
    await Promise.all(pairs.map(({ producer }) => producer.sendBuffers(10, 1024)));
    await waitFor(() => pairs.every(({ consumer }) => consumer.data.length === 10), {
      what: 'all channels delivered',
    });
    for (const { consumer } of pairs) {
      expect(consumer.data.map((m) => m.n)).toEqual([...Array(10).keys()]);
      for (const message of consumer.data) expectPatterned(message, 1024);
    }
    expect(a.exchange.stats().openConnections).toBe(1);
    expect(b.exchange.stats().openConnections).toBe(1);
    // Both did dial (the race was real); one dial was refused as a duplicate.
    expect(a.exchange.stats().dialedConnections + b.exchange.stats().dialedConnections).toBe(2);

    // A later job reuses the connection: nobody dials again.
    const dialsBefore = a.exchange.stats().dialedConnections + b.exchange.stats().dialedConnections;
    const later = [
      wire(a, b, channelId('jobC', 0, 'e', 0, 0), 1),
      wire(b, a, channelId('jobC', 0, 'f', 0, 0), 1),
    ];
    await Promise.all(later.map(({ producer }) => producer.sendBuffers(3, 100)));
    await waitFor(() => later.every(({ consumer }) => consumer.data.length === 3), {
      what: 'later job delivered',
    });
    expect(a.exchange.stats().dialedConnections + b.exchange.stats().dialedConnections).toBe(dialsBefore);
    expect(a.exchange.stats().openConnections).toBe(1);
    expect(b.exchange.stats().openConnections).toBe(1);
  });

  it('holds data for a consumer that registers after it arrived, then delivers it in order', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const id = channelId('job1', 0, 'e1', 1, 2);
    const { producer, consumer } = wire(a, b, id, 0, false);

    for (let i = 0; i < 3; i++) producer.sendData(i);
    producer.sendEvent({ t: 'event', e: { kind: 'watermark', timestamp: 99 } });
    await waitFor(() => (b.exchange.stats().peers['tm-a']?.framesIn ?? 0) >= 5, { what: 'frames at b' });
    expect(b.exchange.stats().heldBytes).toBeGreaterThanOrEqual(3 * BUFFER_BYTES);
    expect(consumer.received).toHaveLength(0);

    b.exchange.registerConsumerChannel(id, consumer.far);
    producer.sendData(3);
    await waitFor(() => consumer.received.length === 5, { what: 'held and new messages' });
    expect(consumer.received.map((m) => (m.t === 'data' ? m.n : m.e.kind))).toEqual([
      0,
      1,
      2,
      'watermark',
      3,
    ]);
    for (const message of consumer.data) expectPatterned(message);
    expect(b.exchange.stats().heldBytes).toBe(0);
    // Credits granted on read travel back once the channel is bound.
    await waitFor(() => producer.credit === 4, { what: 'credits for the held buffers' });
  });

  it('refuses a peer with the wrong token before any channel frame', async () => {
    const lines: string[] = [];
    const a = await startNode('tm-a', {
      secret: 'wrong-token',
      maxConnectAttempts: 2,
      connectRetryBaseMs: 10,
    });
    const b = await startNode('tm-b', { logger: memoryLogger(lines) });
    const lost: Array<[string, string[]]> = [];
    a.exchange.onPeerLost((peer, ids) => lost.push([peer, ids]));
    const id = channelId('job1', 0, 'e1', 0, 0);
    const { producer, consumer } = wire(a, b, id, 4);
    producer.sendData(0);

    await waitFor(() => lost.length > 0, { what: 'peer lost at a' });
    expect(lost).toEqual([['tm-b', [id]]]);
    expect(b.exchange.stats().refusedConnections).toBeGreaterThanOrEqual(1);
    expect(b.exchange.stats().openConnections).toBe(0);
    expect(consumer.received).toHaveLength(0);
    expect(lines.some((line) => line.includes('bad HMAC'))).toBe(true);
  });

  it('refuses to send to an acceptor that cannot prove the token', async () => {
    const a = await startNode('tm-a', { maxConnectAttempts: 5, connectRetryBaseMs: 10 });
    const impostor = await startStalledPeer('tm-z', 'not-the-token');
    const lost: string[][] = [];
    a.exchange.onPeerLost((_peer, ids) => lost.push(ids));
    const producer = new TestProducer();
    cleanups.push(() => producer.close());
    a.exchange.connectProducerChannel('j/0/e/0-0', producer.far, {
      taskManagerId: 'tm-z',
      host: '127.0.0.1',
      port: impostor.port,
    });
    producer.sendData(0, 100);
    await waitFor(() => lost.length > 0, { what: 'impostor reported' });
    expect(lost).toEqual([['j/0/e/0-0']]);
    // Terminal, not retried; OPEN_CHANNEL and the data frame were dropped, never sent.
    expect(a.exchange.stats().dialedConnections).toBe(1);
    await waitFor(() => a.exchange.stats().peers['tm-z']?.droppedOutboundFrames === 2, {
      what: 'both frames dropped',
    });
  });

  it('closes an unauthenticated socket that sends channel frames, delivering nothing', async () => {
    const b = await startNode('tm-b');
    const id = channelId('job1', 0, 'e1', 0, 0);
    const consumer = new TestConsumer(4);
    cleanups.push(() => consumer.close());
    b.exchange.registerConsumerChannel(id, consumer.far);

    const socket = connect({ host: b.host, port: b.port });
    cleanups.push(() => socket.destroy());
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.resume(); // read (and ignore) the CHALLENGE so the close is seen
    socket.write(Buffer.concat(encodeDataFrame(id, patterned(0, 100), 0, 1 << 20)));
    await closed;
    expect(consumer.received).toHaveLength(0);
    expect(b.exchange.stats().refusedConnections).toBe(1);
  });

  it('logs refused data-port connections without stacks, rate-limited', async () => {
    const lines: string[] = [];
    const b = await startNode('tm-b', { logger: memoryLogger(lines) });
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect({ host: b.host, port: b.port }, () => socket.end(Buffer.alloc(32, 0xff)));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
        socket.resume();
      });
    }
    await waitFor(() => b.exchange.stats().refusedConnections === 20, { what: '20 refusals' });
    const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const each = refused.filter((l) => l.msg === 'refused data-port connection');
    expect(each).toHaveLength(5);
    expect(each.every((l) => l.err === undefined && /exceeds the maximum/.test(String(l.detail)))).toBe(true);
    await b.exchange.close();
    const summary = lines.map((l) => JSON.parse(l) as { suppressed?: number }).find((l) => l.suppressed);
    expect(summary?.suppressed).toBe(15);
  });

  it('drops frames of a released attempt prefix and keeps serving the next attempt', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const old = wire(a, b, channelId('job1', 1, 'e1', 0, 0), 4);
    await old.producer.sendBuffers(2, 100);
    await waitFor(() => old.consumer.data.length === 2, { what: 'attempt 1 data' });

    b.exchange.releaseChannelsWithPrefix('job1/1/');
    // A producer of the old attempt that has not heard of the restart yet opens another channel.
    const straggler = wire(a, b, channelId('job1', 1, 'e1', 1, 0), 0, false);
    straggler.producer.sendData(0, 100);
    straggler.producer.sendData(1, 100);
    await waitFor(() => (b.exchange.stats().peers['tm-a']?.droppedStaleFrames ?? 0) >= 3, {
      what: 'stale drops',
    });
    expect(b.exchange.stats().heldBytes).toBe(0);
    expect(old.consumer.data).toHaveLength(2);

    const next = wire(a, b, channelId('job1', 2, 'e1', 0, 0), 4);
    await next.producer.sendBuffers(5, 100);
    await waitFor(() => next.consumer.data.length === 5, { what: 'attempt 2 data' });
    expect(next.consumer.data.map((m) => m.n)).toEqual([0, 1, 2, 3, 4]);
  });

  it('reports the channels of a peer that goes away', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const lost: Array<[string, string[]]> = [];
    a.exchange.onPeerLost((peer, ids) => lost.push([peer, [...ids].sort()]));
    const out = wire(a, b, channelId('job1', 0, 'e1', 0, 0), 2);
    const back = wire(b, a, channelId('job1', 0, 'e2', 0, 0), 2);
    await out.producer.sendBuffers(1, 10);
    await back.producer.sendBuffers(1, 10);
    await waitFor(() => out.consumer.data.length === 1 && back.consumer.data.length === 1, {
      what: 'both ways',
    });

    await b.exchange.close();
    await waitFor(() => lost.length > 0, { what: 'peer lost' });
    expect(lost).toEqual([['tm-b', [channelId('job1', 0, 'e1', 0, 0), channelId('job1', 0, 'e2', 0, 0)]]]);
    expect(a.exchange.stats().openConnections).toBe(0);
    // Later messages on the dead channel are dropped and counted, not queued.
    out.producer.sendData(5, 10);
    await waitFor(() => (a.exchange.stats().peers['tm-b']?.droppedOutboundFrames ?? 0) >= 1, {
      what: 'drop count',
    });
  });

  it('reports a peer that cannot be reached after bounded retries', async () => {
    const a = await startNode('tm-a', { maxConnectAttempts: 3, connectRetryBaseMs: 10 });
    const parked = createServer();
    await new Promise<void>((resolve) => parked.listen(0, '127.0.0.1', resolve));
    const { port } = parked.address() as { port: number };
    await new Promise<void>((resolve) => parked.close(() => resolve()));
    const lost: string[][] = [];
    a.exchange.onPeerLost((_peer, ids) => lost.push(ids));
    const producer = new TestProducer();
    cleanups.push(() => producer.close());
    a.exchange.connectProducerChannel('j/0/e/0-0', producer.far, {
      taskManagerId: 'tm-gone',
      host: '127.0.0.1',
      port,
    });
    await waitFor(() => lost.length > 0, { what: 'unreachable peer reported' });
    expect(lost).toEqual([['j/0/e/0-0']]);
    expect(a.exchange.stats().dialedConnections).toBe(3);
  });

  it('keeps memory bounded by credits when the consumer does not read', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const id = channelId('job1', 0, 'e1', 0, 0);
    const producer = new TestProducer();
    const consumer = new TestConsumer(8, false);
    cleanups.push(
      () => producer.close(),
      () => consumer.close(),
    );
    a.exchange.connectProducerChannel(id, producer.far, peerOf(b));
    b.exchange.registerConsumerChannel(id, consumer.far);

    const sending = producer.sendBuffers(1000);
    await waitFor(() => (b.exchange.stats().peers['tm-a']?.bytesIn ?? 0) >= 8 * BUFFER_BYTES, {
      what: '8 buffers',
    });
    const rssBefore = process.memoryUsage().arrayBuffers;
    // Give a credit-ignoring transport every chance to run away, then check it did not.
    await waitFor(() => producer.credit === 0, { what: 'credit used up' });
    const bytesOut = a.exchange.stats().peers['tm-b']?.bytesOut ?? 0;
    expect(bytesOut).toBeLessThan(9 * BUFFER_BYTES);
    expect(b.exchange.stats().heldBytes).toBe(0);
    expect(process.memoryUsage().arrayBuffers - rssBefore).toBeLessThan(64 * BUFFER_BYTES);
    producer.close();
    await sending;
  });

  it('stops reading producer ports while the socket is congested (TCP backpressure)', async () => {
    const a = await startNode('tm-a', { writeHighWaterMarkBytes: 256 * 1024 });
    const stalled = await startStalledPeer('tm-z');
    const producer = new TestProducer();
    cleanups.push(() => producer.close());
    a.exchange.connectProducerChannel('j/0/e/0-0', producer.far, {
      taskManagerId: 'tm-z',
      host: '127.0.0.1',
      port: stalled.port,
    });
    await waitFor(() => stalled.authenticated, { what: 'stalled peer handshake' });

    // A producer ignoring credit floods 64 MiB; the peer never reads its socket.
    const total = 2048;
    for (let i = 0; i < total; i++) producer.sendData(i);
    let last = -1;
    await waitFor(
      () => {
        const out = a.exchange.stats().peers['tm-z']?.bytesOut ?? 0;
        const settled = out === last && out > 0;
        last = out;
        return settled;
      },
      { intervalMs: 200, what: 'writes to stall' },
    );
    // Only what fits the socket buffers (kernel + high-water mark) left the port.
    expect(last).toBeLessThan((total * BUFFER_BYTES) / 4);
  });

  it('relays a few thousand 32 KiB buffers (throughput smoke test)', async () => {
    const a = await startNode('tm-a');
    const b = await startNode('tm-b');
    const id = channelId('bench', 0, 'e', 0, 0);
    const { producer, consumer } = wire(a, b, id, 16);
    const count = 3000;
    await producer.sendBuffers(count);
    await waitFor(() => consumer.data.length === count, { what: 'all buffers' });
    const digest = createHash('sha256');
    for (const message of consumer.data) digest.update(Buffer.from(message.buf));
    const expected = createHash('sha256');
    for (let i = 0; i < count; i++) expected.update(Buffer.from(patterned(i, BUFFER_BYTES)));
    expect(digest.digest('hex')).toBe(expected.digest('hex'));
    expect(consumer.data.every((m, i) => m.n === i)).toBe(true);
  });
});

/** A peer that completes the handshake and then never reads its socket again. */
async function startStalledPeer(
  id: string,
  secret = SECRET,
): Promise<{ port: number; authenticated: boolean }> {
  const state = { port: 0, authenticated: false };
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    const nonce = newNonce();
    const decoder = new FrameDecoder(1 << 20);
    socket.write(encodeMessageFrame(FrameType.CHALLENGE, '', { v: PROTOCOL_VERSION, id, nonce }, 4096));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk);
      const frame = decoder.next();
      if (frame?.type !== FrameType.HELLO) return;
      const hello = parseHello(frame.payload);
      socket.write(
        encodeMessageFrame(
          FrameType.WELCOME,
          '',
          { mac: acceptorProof(secret, 'sluice-data/1', hello.nonce, id, hello.id) },
          4096,
        ),
      );
      state.authenticated = true;
      socket.pause();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as { port: number }).port;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return state;
}
