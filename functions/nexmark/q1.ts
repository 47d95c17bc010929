import { bids, defineQueryJob } from './query-job';
import { toEuros } from './queries';

/**
 * Nexmark q1, currency conversion: every bid with its price in euros (price × 0.908).
 * Arguments: see query-job.ts (`events`, `seed`, `rate`, `sink`).
 */
export default defineQueryJob('q1', (events) => bids(events).map(toEuros).name('q1-to-euros'));
