import { defineJob } from '../runtime/api';
import type { DataStream, Sink } from '../runtime/api';
import { bidSource } from './nexmark/bid-generator';
import { q2Auction, q2Project, toEuros } from './nexmark/queries';

/**
 * Nexmark-style stateless queries over generated bids.
 *   --arg query=q1|q2     q1: convert prices to euros; q2: keep bids of sampled auctions (default q2)
 *   --arg events=N        number of bids (default 100000)
 *   --arg sink=print|count   print every result, or print one count per subtask (default count)
 */
export default defineJob('nexmark', (env, args) => {
  const events = Number(args.events ?? 100_000);
  if (!Number.isInteger(events) || events < 0)
    throw new Error(`events must be a non-negative integer, got ${args.events}`);
  const query = args.query ?? 'q2';
  const bids = env.fromSource(bidSource(events), 'bids');
  const results: DataStream<unknown> =
    query === 'q1'
      ? (bids.map(toEuros).name('q1-to-euros') as DataStream<unknown>)
      : query === 'q2'
        ? (bids.filter(q2Auction).name('q2-filter').map(q2Project).name('q2-project') as DataStream<unknown>)
        : (() => {
            throw new Error(`unknown query '${query}': use q1 or q2`);
          })();
  if ((args.sink ?? 'count') === 'print') results.print();
  else results.sinkTo(countingSink(), 'count');
});

/** Counts records per subtask and prints `subtask <i>: <n> results` at the end. */
function countingSink<T>(): Sink<T> {
  return {
    createWriter(ctx) {
      let count = 0;
      return {
        write: () => void count++,
        finish: () => ctx.emitOutput(`subtask ${ctx.subtaskIndex}: ${count} results`),
      };
    },
  };
}
