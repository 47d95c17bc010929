import type { AggregateFunction } from '../../runtime/api';
import { EventTimeSessionWindows } from '../../runtime/api';
import type { Bid } from './model';
import { bids, defineQueryJob } from './query-job';

/** A q11 result: a bidder's session [starttime, endtime) and its number of bids. */
export interface BidderSession {
  bidder: number;
  bidCount: number;
  starttime: number;
  endtime: number;
}

export const Q11_GAP_MS = 10_000;

interface SessionAcc {
  bidder: number;
  bidCount: number;
  first: number;
  last: number;
}

const countSession: AggregateFunction<Bid, SessionAcc, BidderSession> = {
  createAccumulator: () => ({ bidder: -1, bidCount: 0, first: Infinity, last: -Infinity }),
  add: (bid, acc) => ({
    bidder: bid.bidder,
    bidCount: acc.bidCount + 1,
    first: Math.min(acc.first, bid.dateTime),
    last: Math.max(acc.last, bid.dateTime),
  }),
  merge: (a, b) => ({
    bidder: Math.max(a.bidder, b.bidder),
    bidCount: a.bidCount + b.bidCount,
    first: Math.min(a.first, b.first),
    last: Math.max(a.last, b.last),
  }),
  // A session window spans its first bid to its last bid plus the gap.
  getResult: (acc) => ({
    bidder: acc.bidder,
    bidCount: acc.bidCount,
    starttime: acc.first,
    endtime: acc.last + Q11_GAP_MS,
  }),
};

/**
 * Nexmark q11, user sessions: how many bids each bidder made per session, sessions ending after
 * 10 s without a bid (event-time session windows). Arguments: see query-job.ts.
 */
export default defineQueryJob('q11', (events) =>
  bids(events)
    .keyBy((b) => b.bidder)
    .window(EventTimeSessionWindows.withGap(Q11_GAP_MS))
    .aggregate(countSession)
    .uid('q11-sessions')
    .name('q11-sessions'),
);
