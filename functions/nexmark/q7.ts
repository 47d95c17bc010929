import type { AggregateFunction } from '../../runtime/api';
import { TumblingEventTimeWindows } from '../../runtime/api';
import type { Bid } from './model';
import { bids, defineQueryJob } from './query-job';

export const Q7_WINDOW_MS = 10_000;

/** The bids with the highest price (all of them on a tie). */
const highestBids: AggregateFunction<Bid, Bid[], Bid[]> = {
  createAccumulator: () => [],
  add: (bid, top) => {
    const best = top[0]?.price ?? -1;
    return bid.price > best ? [bid] : bid.price === best ? [...top, bid] : top;
  },
  merge: (a, b) => {
    const best = Math.max(a[0]?.price ?? -1, b[0]?.price ?? -1);
    return [...a, ...b].filter((bid) => bid.price === best);
  },
  getResult: (top) => top,
};

/** The same over partial results. */
const highestOfHighest: AggregateFunction<Bid[], Bid[], Bid[]> = {
  createAccumulator: () => [],
  add: (bids, top) => highestBids.merge(bids, top),
  merge: (a, b) => highestBids.merge(a, b),
  getResult: (top) => top,
};

/**
 * Nexmark q7, highest bid: the bids with the highest price in each tumbling window of 10 s.
 * Each subtask finds its highest bids per window (keyed by auction, so in parallel), then one
 * subtask picks the highest of those per window. Arguments: see query-job.ts.
 */
export default defineQueryJob('q7', (events) =>
  bids(events)
    .keyBy((b) => b.auction)
    .window(TumblingEventTimeWindows.of(Q7_WINDOW_MS))
    .aggregate(highestBids)
    .uid('q7-highest-per-auction')
    .name('q7-highest-per-auction')
    .windowAll(TumblingEventTimeWindows.of(Q7_WINDOW_MS))
    .aggregate(highestOfHighest)
    .uid('q7-highest')
    .name('q7-highest')
    .flatMap<Bid>((top, out) => top.forEach((b) => out.collect(b)))
    .name('q7-highest-bids'),
);
