import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bid } from '../../functions/nexmark/bid-generator';
import { bidAt } from '../../functions/nexmark/bid-generator';
import { q2Auction, toEuros } from '../../functions/nexmark/queries';
import { handThreadPipeline } from './hand-pipelines';
import type { Measurement } from './measure';
import { alternatingRounds, expectCount, measure, runBenchJob } from './measure';

/** The q1/q2-like stateless pipeline, five ways. Records = bids generated. */
export async function statelessPipeline(records: number): Promise<Measurement[]> {
  const expected = handLoop(records);
  return [
    await measure('stateless/hand-loop', records, () =>
      expectCount('hand loop', handLoop(records), expected),
    ),
    await measure('stateless/sluice-chained', records, async () =>
      expectCount('chained', await runBenchJob('stateless-pipeline', records, { parallelism: 1 }), expected),
    ),
    await unchained(records, expected),
    await handThreadPipeline(records, expected),
    await measure('stateless/node-streams', records, async () =>
      expectCount('streams', await nodeStreams(records), expected),
    ),
  ];
}

function unchained(records: number, expected: number): Promise<Measurement> {
  return measure('stateless/sluice-unchained', records, async () =>
    expectCount(
      'unchained',
      await runBenchJob('stateless-pipeline', records, { parallelism: 1, chaining: false }),
      expected,
    ),
  );
}

/** The unchained pipeline (3 hops between 4 threads) and its hand-written yardstick, 3 rounds in turn. */
export function unchainedAgainstHandThreads(records: number): Promise<Measurement[]> {
  const expected = handLoop(records);
  return alternatingRounds(3, [
    () => unchained(records, expected),
    () => handThreadPipeline(records, expected),
  ]);
}

/** What the pipeline does, written as a plain loop over batches of 1024. */
function handLoop(records: number): number {
  let count = 0;
  const batch: Bid[] = [];
  for (let start = 0; start < records; start += 1024) {
    batch.length = 0;
    const end = Math.min(records, start + 1024);
    for (let n = start; n < end; n++) batch.push(bidAt(n));
    for (const bid of batch) if (q2Auction(toEuros(bid))) count++;
  }
  return count;
}

async function nodeStreams(records: number): Promise<number> {
  let count = 0;
  function* bids(): Generator<Bid> {
    for (let n = 0; n < records; n++) yield bidAt(n);
  }
  await pipeline(
    Readable.from(bids()),
    new Transform({ objectMode: true, transform: (bid: Bid, _e, done) => done(null, toEuros(bid)) }),
    new Transform({
      objectMode: true,
      transform: (bid: Bid, _e, done) => done(null, q2Auction(bid) ? bid : undefined),
    }),
    new Writable({ objectMode: true, write: (_bid, _e, done) => (count++, done()) }),
  );
  return count;
}
