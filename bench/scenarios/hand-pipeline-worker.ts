/**
 * The stages of the hand-written baselines (see hand-pipelines.ts), one per worker thread.
 * What a careful programmer would write without a framework: msgpack batches of records,
 * each in its own transferred ArrayBuffer (threads) or a length-prefixed frame
 * (TCP), with a small window of batches in flight so memory stays bounded like Sluice's.
 */
import { createConnection, createServer } from 'node:net';
import type { Socket } from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import { parentPort, workerData } from 'node:worker_threads';
import { Packr } from 'msgpackr';
import type { Bid } from '../../functions/nexmark/bid-generator';
import { bidAt } from '../../functions/nexmark/bid-generator';
import { q2Auction, toEuros } from '../../functions/nexmark/queries';
import { subtaskForKey } from '../../runtime/graph/key-groups';
import { lineAt, splitLine } from '../jobs/workload';

/**
 * Records per batch. Bids are ~128 bytes of msgpack, so 256 of them fill ~32 KB, Sluice's
 * default buffer; batches of 1000 bids (~128 KB, past malloc's mmap threshold, so every
 * buffer is fresh pages) measured 1.5-2x slower here. Word-count pairs are ~10 bytes: 1000.
 */
const BID_BATCH = 256;
const PAIR_BATCH = 1000;
/** Batches a thread stage may have sent and not yet had acknowledged. */
const WINDOW = 8;

const packr = new Packr({ useRecords: false, moreTypes: false });

export type StageData =
  | { kind: 'source'; records: number; out: MessagePort }
  | { kind: 'map' | 'filter'; in: MessagePort; out: MessagePort }
  | { kind: 'sink'; in: MessagePort }
  | { kind: 'tcp-producer'; lines: number; subtask: number; parallelism: number; ports: number[] }
  | { kind: 'tcp-consumer'; producers: number };

function encode(records: unknown[]): ArrayBuffer {
  const packed = packr.pack(records);
  const own = new ArrayBuffer(packed.length);
  new Uint8Array(own).set(packed);
  return own;
}

/** The sending end of a thread hop: at most WINDOW batches unacknowledged. */
class ThreadSender {
  private inFlight = 0;
  private wake: (() => void) | undefined;
  constructor(private readonly port: MessagePort) {
    port.on('message', (acked: number) => {
      this.inFlight -= acked;
      this.wake?.();
      this.wake = undefined;
    });
  }
  async send(records: unknown[]): Promise<void> {
    while (this.inFlight >= WINDOW) await new Promise<void>((r) => (this.wake = r));
    this.inFlight++;
    const buf = encode(records);
    this.port.postMessage(buf, [buf]);
  }
  end(): void {
    this.port.postMessage(null);
  }
}

/** The receiving end of a thread hop: processes each batch, acknowledges every WINDOW/2. */
function receive(
  port: MessagePort,
  onBatch: (records: unknown[]) => Promise<void> | void,
  onEnd: () => void,
): void {
  let unacked = 0;
  let chain = Promise.resolve();
  port.on('message', (buf: ArrayBuffer | null) => {
    chain = chain.then(async () => {
      if (buf === null) return onEnd();
      await onBatch(packr.unpack(new Uint8Array(buf)) as unknown[]);
      if (++unacked >= WINDOW / 2) {
        port.postMessage(unacked);
        unacked = 0;
      }
    });
  });
}

async function source(records: number, out: MessagePort): Promise<void> {
  const sender = new ThreadSender(out);
  for (let start = 0; start < records; start += BID_BATCH) {
    const batch: Bid[] = [];
    const end = Math.min(records, start + BID_BATCH);
    for (let n = start; n < end; n++) batch.push(bidAt(n));
    await sender.send(batch);
  }
  sender.end();
}

function transform(kind: 'map' | 'filter', input: MessagePort, out: MessagePort): void {
  const sender = new ThreadSender(out);
  receive(
    input,
    (records) =>
      sender.send(kind === 'map' ? (records as Bid[]).map(toEuros) : (records as Bid[]).filter(q2Auction)),
    () => sender.end(),
  );
}

function sink(input: MessagePort): void {
  let count = 0;
  receive(
    input,
    (records) => void (count += records.length),
    () => parentPort!.postMessage({ count }),
  );
}

/** Frames: 4-byte big-endian length, then msgpack of an array of records. */
function frame(records: unknown[]): Buffer {
  const packed = packr.pack(records);
  const out = Buffer.allocUnsafe(4 + packed.length);
  out.writeUInt32BE(packed.length, 0);
  packed.copy(out, 4);
  return out;
}

async function tcpProducer(
  lines: number,
  subtask: number,
  parallelism: number,
  ports: number[],
): Promise<void> {
  const sockets = await Promise.all(ports.map((port) => connect(port)));
  // Started and connected: the run is timed from the go (Sluice's from all tasks running).
  await new Promise((resolve) => {
    parentPort!.once('message', resolve);
    parentPort!.postMessage({ ready: true });
  });
  const batches: [string, number][][] = ports.map(() => []);
  const write = async (target: number): Promise<void> => {
    const socket = sockets[target]!;
    const more = socket.write(frame(batches[target]!));
    batches[target] = [];
    if (!more) await new Promise((r) => socket.once('drain', r));
  };
  const out = {
    collect(word: string): void {
      batches[subtaskForKey(word, ports.length, 128)]!.push([word, 1]);
    },
  };
  for (let n = subtask; n < lines; n += parallelism) {
    splitLine(lineAt(n), out);
    for (let t = 0; t < ports.length; t++) if (batches[t]!.length >= PAIR_BATCH) await write(t);
  }
  for (let t = 0; t < ports.length; t++) if (batches[t]!.length > 0) await write(t);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.end(r))));
}

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1', noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Keyed running sum per word; counts the updates it emits (what Sluice's sum feeds its sink). */
function tcpConsumer(producers: number): void {
  const sums = new Map<string, number>();
  let updates = 0;
  let open = producers;
  const server = createServer((socket) => {
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      while (pending.length - offset >= 4) {
        const length = pending.readUInt32BE(offset);
        if (pending.length - offset - 4 < length) break;
        const records = packr.unpack(pending.subarray(offset + 4, offset + 4 + length)) as [string, number][];
        offset += 4 + length;
        for (const [word, n] of records) {
          sums.set(word, (sums.get(word) ?? 0) + n);
          updates++;
        }
      }
      pending = pending.subarray(offset);
    });
    socket.on('end', () => {
      if (--open === 0) {
        server.close();
        parentPort!.postMessage({ count: updates });
      }
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    parentPort!.postMessage({ port: typeof address === 'object' && address ? address.port : 0 });
  });
}

const data = workerData as StageData;
switch (data.kind) {
  case 'source':
    void source(data.records, data.out);
    break;
  case 'map':
  case 'filter':
    transform(data.kind, data.in, data.out);
    break;
  case 'sink':
    sink(data.in);
    break;
  case 'tcp-producer':
    void tcpProducer(data.lines, data.subtask, data.parallelism, data.ports).then(() => process.exit(0));
    break;
  case 'tcp-consumer':
    tcpConsumer(data.producers);
    break;
}
