import type { AggregateFunction } from '../../runtime/api';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from '../../runtime/api';
import { bids, defineQueryJob } from './query-job';

/** A q5 result: an auction with the most bids in the window [starttime, endtime). */
export interface HotItem {
  auction: number;
  num: number;
  starttime: number;
  endtime: number;
}

export const Q5_WINDOW_MS = 10_000;
export const Q5_SLIDE_MS = 2_000;

interface AuctionCount {
  auction: number;
  num: number;
}

const countBids: AggregateFunction<{ auction: number }, AuctionCount, AuctionCount> = {
  createAccumulator: () => ({ auction: -1, num: 0 }),
  add: (bid, acc) => ({ auction: bid.auction, num: acc.num + 1 }),
  merge: (a, b) => ({ auction: Math.max(a.auction, b.auction), num: a.num + b.num }),
  getResult: (acc) => acc,
};

const sumCounts: AggregateFunction<AuctionCount, AuctionCount, AuctionCount> = {
  createAccumulator: () => ({ auction: -1, num: 0 }),
  add: (count, acc) => ({ auction: count.auction, num: acc.num + count.num }),
  merge: countBids.merge,
  getResult: (acc) => acc,
};

/** The counts with the highest num (all of them on a tie), as q5's join on `num >= maxn` keeps. */
const mostBids: AggregateFunction<HotItem, HotItem[], HotItem[]> = {
  createAccumulator: () => [],
  add: (item, top) => {
    const best = top[0]?.num ?? -1;
    return item.num > best ? [item] : item.num === best ? [...top, item] : top;
  },
  merge: (a, b) => {
    const best = Math.max(a[0]?.num ?? -1, b[0]?.num ?? -1);
    return [...a, ...b].filter((i) => i.num === best);
  },
  getResult: (top) => top,
};

/**
 * Nexmark q5, hot items: in sliding windows of 10 s every 2 s, the auctions with the most bids.
 * Bids are counted per auction in slices of 2 s (one state update per bid, not one per window
 * it is in, as Flink's window slicing does), slices are summed into the sliding windows, and
 * the counts of one window, stamped with its last instant, meet in a tumbling window of the
 * slide that ends with it, which keeps the highest.
 * Arguments: see query-job.ts.
 */
export default defineQueryJob('q5', (events) =>
  bids(events)
    .keyBy((b) => b.auction)
    .window(TumblingEventTimeWindows.of(Q5_SLIDE_MS))
    .aggregate(countBids)
    .uid('q5-bids-per-slice')
    .name('q5-bids-per-slice')
    .keyBy((c) => c.auction)
    .window(SlidingEventTimeWindows.of(Q5_WINDOW_MS, Q5_SLIDE_MS))
    .aggregate(sumCounts)
    .uid('q5-bids-per-window')
    .name('q5-bids-per-window')
    .process<HotItem>((c, ctx, out) => {
      const endtime = ctx.timestamp()! + 1;
      out.collect({ auction: c.auction, num: c.num, starttime: endtime - Q5_WINDOW_MS, endtime });
    })
    .name('q5-window-bounds')
    .keyBy((item) => item.endtime)
    .window(TumblingEventTimeWindows.of(Q5_SLIDE_MS))
    .aggregate(mostBids)
    .uid('q5-most-bids')
    .name('q5-most-bids')
    .flatMap<HotItem>((top, out) => top.forEach((i) => out.collect(i)))
    .name('q5-hot-items'),
);
