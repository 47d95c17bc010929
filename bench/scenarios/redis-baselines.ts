import { Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { pack, unpack } from 'msgpackr';
import { WORDS_PER_LINE, lineAt } from '../jobs/workload';
import type { Measurement } from './measure';
import { measure } from './measure';

/**
 * Baselines for the cluster benchmark: the same keyed word count moved through Redis instead
 * of Sluice's TCP exchange. Records = words.
 */

/** A Redis Streams pipeline: a producer XADDs entries of 100 [word, 1] records, a consumer XREADs and counts. */
export async function redisStreamsWordCount(redisUrl: string, lines: number): Promise<Measurement> {
  const words = lines * WORDS_PER_LINE;
  const stream = `bench:wc:${process.pid}:${Date.now()}`;
  const producer = new Redis(redisUrl);
  const consumer = new Redis(redisUrl);
  try {
    return await measure('cluster/redis-streams', words, async () => {
      const counts = new Map<string, number>();
      const consume = (async () => {
        let seen = 0;
        let last = '0';
        while (seen < words) {
          const reply = (await consumer.xreadBuffer('COUNT', 100, 'BLOCK', 1000, 'STREAMS', stream, last)) as
            [Buffer, [Buffer, Buffer[]][]][] | null;
          for (const [, entries] of reply ?? []) {
            for (const [id, fields] of entries) {
              last = id.toString();
              for (const [w] of unpack(fields[1]!) as [string, number][]) {
                counts.set(w, (counts.get(w) ?? 0) + 1);
                seen++;
              }
            }
          }
        }
      })();
      let batch: [string, number][] = [];
      let pipeline = producer.pipeline();
      for (let n = 0; n < lines; n++) {
        for (const w of lineAt(n).split(' ')) batch.push([w, 1]);
        if (batch.length >= 100) {
          pipeline.xadd(stream, '*', 'd', pack(batch));
          batch = [];
          if (pipeline.length >= 100) {
            await pipeline.exec();
            pipeline = producer.pipeline();
          }
        }
      }
      if (batch.length > 0) pipeline.xadd(stream, '*', 'd', pack(batch));
      await pipeline.exec();
      await consume;
    });
  } finally {
    await producer.del(stream);
    producer.disconnect();
    consumer.disconnect();
  }
}

/** BullMQ with one job per record (word), counted by a worker. */
export async function bullmqWordCount(redisUrl: string, lines: number): Promise<Measurement> {
  const words = lines * WORDS_PER_LINE;
  const name = `bench-wc-${process.pid}-${Date.now()}`;
  const url = new URL(redisUrl);
  const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
  const queue = new Queue(name, { connection });
  const counts = new Map<string, number>();
  let seen = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const worker = new Worker(
    name,
    async (job) => {
      const w = (job.data as { w: string }).w;
      counts.set(w, (counts.get(w) ?? 0) + 1);
      if (++seen === words) resolveDone();
    },
    { connection, concurrency: 50, removeOnComplete: { count: 0 } },
  );
  try {
    return await measure('cluster/bullmq', words, async () => {
      let jobs: { name: string; data: { w: string }; opts: { removeOnComplete: boolean } }[] = [];
      for (let n = 0; n < lines; n++) {
        for (const w of lineAt(n).split(' '))
          jobs.push({ name: 'w', data: { w }, opts: { removeOnComplete: true } });
        if (jobs.length >= 1000) {
          await queue.addBulk(jobs);
          jobs = [];
        }
      }
      if (jobs.length > 0) await queue.addBulk(jobs);
      await done;
    });
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
