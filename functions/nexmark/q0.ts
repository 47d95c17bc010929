import { bids, defineQueryJob } from './query-job';

/**
 * Nexmark q0, pass through: every bid, unchanged (measures the source, the framework and the
 * sink). Arguments: see query-job.ts (`events`, `seed`, `rate`, `sink`).
 */
export default defineQueryJob('q0', (events) =>
  bids(events)
    .map((bid) => bid)
    .name('q0-pass-through'),
);
