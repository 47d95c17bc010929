import { join } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { WORDS_PER_LINE } from '../jobs/workload';
import type { StageData } from './hand-pipeline-worker';
import type { Measurement } from './measure';
import { measure } from './measure';

/*
 * Hand-written data planes, the yardsticks for Sluice's exchanges (issue 12): the same records
 * moved the same way Sluice moves them (msgpack batches), with the same hops, and nothing else.
 *
 * - stateless/hand-threads: the stateless pipeline as 4 worker threads (source, to-euros,
 *   filter, count) passing batches of 256 bids (~32 KB) in transferred ArrayBuffers: the 3 hops of
 *   Sluice's unchained run.
 * - cluster/hand-tcp-p2: the keyed word count at parallelism 2 as 2 producer threads (lines,
 *   split, pair, partition by key group) and 2 consumer threads (running sum per word) with
 *   length-prefixed msgpack frames of 1000 pairs over loopback TCP between every producer and
 *   every consumer: the exchange of Sluice's cross-TaskManager run, all of it on sockets.
 */

const WORKER = join(__dirname, 'hand-pipeline-worker.ts');

function startStage(data: StageData, transfer: MessagePortLike[] = []): Worker {
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(WORKER)});`, {
    eval: true,
    workerData: data,
    transferList: transfer as never[],
  });
}
type MessagePortLike = object;

function firstMessage<T>(worker: Worker, key: keyof T): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T): void => {
      if (m[key] === undefined) return;
      worker.off('message', onMessage);
      resolve(m);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`hand-written stage exited (${code}) before reporting ${String(key)}`)),
    );
  });
}

/** The unchained stateless pipeline by hand; returns the count the sink saw. */
export async function handThreadPipeline(records: number, expected: number): Promise<Measurement> {
  return measure('stateless/hand-threads', records, async () => {
    const hops = [new MessageChannel(), new MessageChannel(), new MessageChannel()];
    const workers = [
      startStage({ kind: 'source', records, out: hops[0]!.port1 }, [hops[0]!.port1]),
      startStage({ kind: 'map', in: hops[0]!.port2, out: hops[1]!.port1 }, [hops[0]!.port2, hops[1]!.port1]),
      startStage({ kind: 'filter', in: hops[1]!.port2, out: hops[2]!.port1 }, [
        hops[1]!.port2,
        hops[2]!.port1,
      ]),
      startStage({ kind: 'sink', in: hops[2]!.port2 }, [hops[2]!.port2]),
    ];
    try {
      const { count } = await firstMessage<{ count: number }>(workers[3]!, 'count');
      if (count !== expected) throw new Error(`hand threads: counted ${count}, expected ${expected}`);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
}

/**
 * The keyed word count at parallelism 2 by hand over loopback TCP, timed like Sluice's cluster
 * runs: from every thread started and connected to the last record counted.
 */
export async function handTcpPipeline(lines: number): Promise<Measurement> {
  const words = lines * WORDS_PER_LINE;
  const consumers = [0, 1].map(() => startStage({ kind: 'tcp-consumer', producers: 2 }));
  const producers: Worker[] = [];
  try {
    const ports = (await Promise.all(consumers.map((c) => firstMessage<{ port: number }>(c, 'port')))).map(
      (p) => p.port,
    );
    const counts = consumers.map((c) => firstMessage<{ count: number }>(c, 'count'));
    // Awaited below; a failure before then is reported there, not as an unhandled rejection.
    for (const count of counts) count.catch(() => undefined);
    for (const subtask of [0, 1])
      producers.push(startStage({ kind: 'tcp-producer', lines, subtask, parallelism: 2, ports }));
    await Promise.all(producers.map((p) => firstMessage<{ ready: boolean }>(p, 'ready')));
    return await measure('cluster/hand-tcp-p2', words, async () => {
      for (const producer of producers) producer.postMessage('go');
      const total = (await Promise.all(counts)).reduce((sum, c) => sum + c.count, 0);
      if (total !== words) throw new Error(`hand TCP: counted ${total} updates, expected ${words}`);
    });
  } finally {
    await Promise.all([...producers, ...consumers].map((w) => w.terminate()));
  }
}
