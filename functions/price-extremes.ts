import { defineJob } from '../runtime/api';
import type { RichMapFunction, RuntimeContext } from '../runtime/api';
import { intArg } from './job-args';

/** A market event: a trade, or a quote the job ignores. */
export type MarketEvent =
  | { kind: 'trade'; seq: number; symbol: string; price: number }
  | { kind: 'quote'; seq: number; symbol: string; bid: number };
export type Trade = Extract<MarketEvent, { kind: 'trade' }>;

const SYMBOLS = ['ACME', 'GLOBEX', 'INITECH', 'UMBRELLA'];

/** The n-th event: every third one a quote, prices repeating so that ties happen. */
export function eventAt(n: number): MarketEvent {
  const symbol = SYMBOLS[(n * 7) % SYMBOLS.length]!;
  if (n % 3 === 2) return { kind: 'quote', seq: n, symbol, bid: 90 + (n % 11) };
  return { kind: 'trade', seq: n, symbol, price: 90 + ((n * 13) % 17) };
}

/** Converts prices into the job's currency; the rate comes from the job's arguments, read in `open`. */
class ToCurrency implements RichMapFunction<Trade, Trade> {
  private rate = 1;
  open(ctx: RuntimeContext): void {
    this.rate = Number(ctx.jobParameters.rate ?? 1);
    if (!(this.rate > 0))
      throw new Error(`--arg rate must be a positive number, got '${ctx.jobParameters.rate}'`);
  }
  map(t: Trade): Trade {
    return { ...t, price: Math.round(t.price * this.rate * 100) / 100 };
  }
}

const isTrade = (e: MarketEvent): e is Trade => e.kind === 'trade';

/**
 * Rolling price extremes per symbol (issue 11's Flink-user operations): a type-guard `filter`
 * narrows market events to trades, a rich map converts prices with a rate given in `open`, and
 * per symbol `maxBy('price')` keeps the trade with the highest price (the earliest on a tie)
 * while `min('price')` keeps the symbol's first trade with the lowest price seen. `rescale()`
 * spreads the converted trades to the local subtasks of the next operator.
 *   --arg events=N   number of market events (default 3000)
 *   --arg rate=R     price conversion rate (default 1)
 */
export default defineJob('price-extremes', (env, args) => {
  const events = intArg(args, 'events', 3000);
  const trades = env
    .fromGenerator(events, eventAt, 'market')
    .uid('market')
    .setParallelism(1)
    .filter(isTrade)
    .name('trades')
    .setParallelism(1)
    .map(new ToCurrency())
    .name('to-currency')
    .setParallelism(1);
  const bySymbol = trades.keyBy((t) => t.symbol);
  bySymbol
    .maxBy('price')
    .uid('highest')
    .map((t) => `high ${t.symbol} ${t.price} #${t.seq}`)
    .print();
  bySymbol
    .min('price')
    .uid('lowest')
    .map((t) => `low ${t.symbol} ${t.price} first #${t.seq}`)
    .print();
  trades
    .rescale()
    .map((t) => `trade ${t.symbol} ${t.price}`)
    .setParallelism(2)
    .print();
});
