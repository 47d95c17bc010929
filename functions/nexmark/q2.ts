import { bids, defineQueryJob } from './query-job';
import { q2Auction, q2Project } from './queries';

/**
 * Nexmark q2, selection: `[auction, price]` of the bids on auctions whose id is a multiple of 123.
 * Arguments: see query-job.ts (`events`, `seed`, `rate`, `sink`).
 */
export default defineQueryJob('q2', (events) =>
  bids(events).filter(q2Auction).name('q2-filter').map(q2Project).name('q2-project'),
);
