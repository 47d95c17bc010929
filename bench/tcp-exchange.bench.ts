/**
 * Micro-benchmark of the TCP exchange: relays N buffers of 32 KiB from a producer port on one
 * TcpExchange to a consumer port on another, over loopback, with a credit window as real tasks
 * use. Prints MB/s and buffers/s; no assertions.
 *
 *   npx tsx bench/tcp-exchange.bench.ts [--buffers 20000] [--bytes 32768] [--window 32] [--channels 1]
 */
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import pino from 'pino';
import type { DownstreamMessage, UpstreamMessage } from '../runtime/network/channel-protocol';
import { channelId } from '../runtime/graph/channel-id';
import { TcpExchange } from '../runtime/network/tcp/tcp-exchange';

export interface TcpExchangeBenchOptions {
  buffers: number;
  bytes: number;
  window: number;
  channels: number;
}

export interface TcpExchangeBenchResult extends TcpExchangeBenchOptions {
  seconds: number;
  mbPerSecond: number;
  buffersPerSecond: number;
}

/** Runs one relay of `buffers` buffers spread over `channels` channels; resolves with the rates. */
export async function runTcpExchangeBench(options: TcpExchangeBenchOptions): Promise<TcpExchangeBenchResult> {
  const logger = pino({ level: 'silent' });
  const secret = 'bench-token';
  const a = new TcpExchange({ taskManagerId: 'tm-a', host: '127.0.0.1', port: 0, secret, logger });
  const b = new TcpExchange({ taskManagerId: 'tm-b', host: '127.0.0.1', port: 0, secret, logger });
  await a.start();
  const bAddress = await b.start();
  const perChannel = Math.ceil(options.buffers / options.channels);
  const ports: MessagePort[] = [];
  const started = process.hrtime.bigint();
  const done = Array.from({ length: options.channels }, (_, c) => {
    const id = channelId('bench', 0, 'e', c, 0);
    const producer = new MessageChannel();
    const consumer = new MessageChannel();
    ports.push(producer.port1, consumer.port1);
    a.connectProducerChannel(id, producer.port2, { taskManagerId: 'tm-b', ...bAddress });
    b.registerConsumerChannel(id, consumer.port2);
    return relay(producer.port1, consumer.port1, perChannel, options);
  });
  await Promise.all(done);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const port of ports) port.close();
  await Promise.all([a.close(), b.close()]);
  const total = perChannel * options.channels;
  return {
    ...options,
    buffers: total,
    seconds,
    mbPerSecond: (total * options.bytes) / 1024 / 1024 / seconds,
    buffersPerSecond: total / seconds,
  };
}

/** Producer sends only on credit; consumer grants `window` up front and one per buffer read. */
function relay(
  producer: MessagePort,
  consumer: MessagePort,
  count: number,
  options: TcpExchangeBenchOptions,
): Promise<void> {
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    let credit = 0;
    const template = new Uint8Array(options.bytes).fill(7);
    const pump = (): void => {
      while (credit > 0 && sent < count) {
        credit--;
        const buf = template.slice().buffer; // a fresh buffer per batch, as a task's serializer makes
        producer.postMessage({ t: 'data', buf, n: 100 } satisfies DownstreamMessage, [buf]);
        sent++;
      }
    };
    producer.on('message', (m: UpstreamMessage) => {
      if (m.t === 'credit') credit += m.n;
      pump();
    });
    consumer.on('message', (m: DownstreamMessage) => {
      if (m.t !== 'data') return;
      received++;
      consumer.postMessage({ t: 'credit', n: 1 } satisfies UpstreamMessage);
      if (received === count) resolve();
    });
    consumer.postMessage({ t: 'credit', n: options.window } satisfies UpstreamMessage);
  });
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

async function main(): Promise<void> {
  const options: TcpExchangeBenchOptions = {
    buffers: argument('buffers', 20_000),
    bytes: argument('bytes', 32 * 1024),
    window: argument('window', 32),
    channels: argument('channels', 1),
  };
  await runTcpExchangeBench({ ...options, buffers: Math.min(options.buffers, 2_000) }); // warm-up
  const result = await runTcpExchangeBench(options);
  console.table([
    {
      buffers: result.buffers,
      'buffer KiB': result.bytes / 1024,
      window: result.window,
      channels: result.channels,
      seconds: result.seconds.toFixed(2),
      'MB/s': result.mbPerSecond.toFixed(1),
      'buffers/s': Math.round(result.buffersPerSecond),
    },
  ]);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
