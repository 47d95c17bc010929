import { defineJob } from '../../runtime/api';
import { bidAt } from '../../functions/nexmark/bid-generator';
import { q2Auction, toEuros } from '../../functions/nexmark/queries';
import { countingSink } from './counting-sink';

/** q1/q2-like stateless pipeline: generate bids, convert to euros, keep sampled auctions, count. */
export default defineJob('bench-stateless', (env, args) => {
  env
    .fromGenerator(Number(args.records), bidAt, 'bids')
    .map(toEuros)
    .name('q1-to-euros')
    .filter(q2Auction)
    .name('q2-filter')
    .sinkTo(countingSink(), 'count');
});
