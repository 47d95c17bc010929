import type { Collector, DataStream, OnTimerContext, ProcessContext } from '../../runtime/api';
import { ListStateDescriptor, ValueStateDescriptor } from '../../runtime/api';
import type { NexmarkEvent } from './model';
import { defineQueryJob } from './query-job';

/** The winning (highest) bid of an auction, known once the auction has expired. */
export interface ClosingPrice {
  auction: number;
  category: number;
  price: number;
}

/** A q4 result: the average closing price of a category so far, over `auctions` closed auctions. */
export interface CategoryAverage {
  category: number;
  auctions: number;
  average: number;
}

/**
 * Nexmark q4, average price for a category: the closing price of an auction is its highest bid
 * between its opening and its expiry (inclusive); each category's average closing price is
 * updated whenever one of its auctions closes (Flink's q4 is an updating aggregate). The
 * auction's lifetime is its window: bids are joined by auction id in keyed state and an
 * event-time timer at `expires` closes it. Arguments: see query-job.ts.
 */
export default defineQueryJob('q4', (events) => categoryAverages(closingPrices(events)));

const auctionState = new ValueStateDescriptor<{ category: number; opened: number; expires: number }>(
  'auction',
);
const maxPrice = new ValueStateDescriptor<number>('max-price');
/** Bids that came before their auction: [price, dateTime]. */
const early = new ListStateDescriptor<[number, number]>('early-bids');

export function closingPrices(events: DataStream<NexmarkEvent>): DataStream<ClosingPrice> {
  return events
    .filter((e) => e.type === 'auction' || e.type === 'bid')
    .name('q4-auctions-and-bids')
    .keyBy((e) => (e.type === 'auction' ? e.auction.id : e.type === 'bid' ? e.bid.auction : -1))
    .process<ClosingPrice>({ processElement, onTimer })
    .uid('q4-closing-prices')
    .name('q4-closing-prices');
}

function processElement(e: NexmarkEvent, ctx: ProcessContext): void {
  const auction = ctx.getState(auctionState);
  if (e.type === 'auction') {
    const a = { category: e.auction.category, opened: e.auction.dateTime, expires: e.auction.expires };
    auction.update(a);
    const pending = ctx.getListState(early);
    let max = -1;
    for (const [price, time] of pending.get()) {
      if (time >= a.opened && time <= a.expires && price > max) max = price;
    }
    pending.clear();
    if (max >= 0) ctx.getState(maxPrice).update(max);
    ctx.timerService().registerEventTimeTimer(a.expires);
  } else if (e.type === 'bid') {
    const a = auction.value();
    if (a) {
      if (e.bid.dateTime < a.opened || e.bid.dateTime > a.expires) return;
      const max = ctx.getState(maxPrice);
      if (e.bid.price > (max.value() ?? -1)) max.update(e.bid.price);
    } else {
      // Its auction may still come (from another source subtask) until the watermark passes the bid.
      ctx.getListState(early).add([e.bid.price, e.bid.dateTime]);
      ctx.timerService().registerEventTimeTimer(e.bid.dateTime);
    }
  }
}

function onTimer(time: number, ctx: OnTimerContext, out: Collector<ClosingPrice>): void {
  const auction = ctx.getState(auctionState);
  const a = auction.value();
  if (a && time === a.expires) {
    const max = ctx.getState(maxPrice);
    const price = max.value();
    if (price !== undefined)
      out.collect({ auction: ctx.getCurrentKey() as number, category: a.category, price });
    auction.clear();
    max.clear();
  } else if (!a) {
    // Every event up to `time` has arrived: early bids that old can no longer meet their auction.
    const pending = ctx.getListState(early);
    const left = pending.get().filter(([, t]) => t > time);
    if (left.length > 0) pending.update(left);
    else pending.clear();
  }
}

const averageState = new ValueStateDescriptor<{ sum: number; count: number }>('sum-and-count');

function categoryAverages(prices: DataStream<ClosingPrice>): DataStream<CategoryAverage> {
  return prices
    .keyBy((p) => p.category)
    .process<CategoryAverage>((p, ctx, out) => {
      const state = ctx.getState(averageState);
      const s = state.value() ?? { sum: 0, count: 0 };
      const next = { sum: s.sum + p.price, count: s.count + 1 };
      state.update(next);
      out.collect({ category: p.category, auctions: next.count, average: next.sum / next.count });
    })
    .uid('q4-averages')
    .name('q4-averages');
}
