import type { Bid } from './model';

/** Nexmark q1: currency conversion, dollars to euros (price in cents, rate 0.908). */
export function toEuros(bid: Bid): Bid {
  return { ...bid, price: Math.round(bid.price * 0.908) };
}

/** Nexmark q2 predicate: bids on a sample of auctions. */
export const q2Auction = (bid: Bid): boolean => bid.auction % 123 === 0;

/** Nexmark q2 projection. */
export const q2Project = (bid: Bid): [number, number] => [bid.auction, bid.price];
