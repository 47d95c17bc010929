import {
  OutputTag,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  defineJob,
  generatorSource,
} from '../runtime/api';
import { intArg } from './job-args';

export interface Bid {
  readonly n: number;
  readonly auction: number;
  readonly price: number;
  /** Event time, ms: 50 ms a bid, up to OUT_OF_ORDER_MS early. */
  readonly at: number;
}

export const WINDOW_MS = 60_000;
/** How far a bid's time may lag the highest seen: the watermark's bound (5 s) is above it. */
export const OUT_OF_ORDER_MS = 4_000;
export const QUIET_MS = 30_000;
export const LATE_BIDS = new OutputTag<Bid>('late-bids');

/** Bid n: of auction n % auctions, out of order by up to OUT_OF_ORDER_MS. */
export function bidAt(n: number, auctions: number): Bid {
  return { n, auction: n % auctions, price: (n * 7919) % 1000, at: n * 50 - ((n * 31) % OUT_OF_ORDER_MS) };
}

/** The higher bid; of equal prices the earlier one (then the lower n), so the result is one whatever the order. */
export function higher(a: Bid, b: Bid): Bid {
  if (a.price !== b.price) return a.price > b.price ? a : b;
  if (a.at !== b.at) return a.at < b.at ? a : b;
  return a.n < b.n ? a : b;
}

/**
 * Event time, windows and timers: bids of auctions arrive out of order; per auction and
 * tumbling minute of event time the highest bid (`max <auction> <window start> <price> #<n>`),
 * with late bids within 10 s firing the window again and later ones sent to a side output
 * (`late <auction> #<n>`); and an event-time timer per auction that reports it once it has had
 * no bid for 30 s of event time (`quiet <auction> since <time of its last bid>`), which in a
 * bounded run is at the end of input for every auction.
 *   --arg bids=N        bids (default 100000)
 *   --arg auctions=A    auctions (default 100)
 */
export default defineJob('bid-windows', (env, args) => {
  const count = intArg(args, 'bids', 100_000);
  const auctions = intArg(args, 'auctions', 100, 1);
  const bids = env
    .fromSource(
      generatorSource(count, (n) => bidAt(n, auctions)),
      'bids',
      WatermarkStrategy.forBoundedOutOfOrderness<Bid>(5_000).withTimestampAssigner((b) => b.at),
    )
    .uid('bids');

  const highest = bids
    .keyBy((b) => b.auction)
    .window(TumblingEventTimeWindows.of(WINDOW_MS))
    .allowedLateness(10_000)
    .sideOutputLateData(LATE_BIDS)
    .reduce(higher)
    .name('highest bid')
    .uid('highest-bid');
  // A window's result carries the window's last instant as its timestamp.
  highest
    .process<string>((b, ctx, out) => {
      const start = ctx.timestamp()! + 1 - WINDOW_MS;
      out.collect(`max ${b.auction} ${start} ${b.price} #${b.n}`);
    })
    .print();
  highest
    .getSideOutput(LATE_BIDS)
    .map((b) => `late ${b.auction} #${b.n}`)
    .print();

  const lastBid = new ValueStateDescriptor<number>('last-bid');
  bids
    .keyBy((b) => b.auction)
    .process<string>({
      processElement(b, ctx) {
        const last = ctx.getState(lastBid);
        const previous = last.value();
        if (previous !== undefined && previous >= b.at) return;
        if (previous !== undefined) ctx.timerService().deleteEventTimeTimer(previous + QUIET_MS);
        last.update(b.at);
        ctx.timerService().registerEventTimeTimer(b.at + QUIET_MS);
      },
      onTimer(time, ctx, out) {
        out.collect(`quiet ${String(ctx.getCurrentKey())} since ${time - QUIET_MS}`);
      },
    })
    .name('quiet auctions')
    .uid('quiet-auctions')
    .print();
});
