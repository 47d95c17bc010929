/**
 * A cheap synthetic stream of Nexmark-shaped bids (each a hash of its number, no persons or
 * auctions behind them), for data-plane benchmarks that only need bid-sized records. The
 * Nexmark generator proper is generator.ts.
 */
import { generatorSource } from '../../runtime/api';
import type { Source } from '../../runtime/api';
import type { Bid } from './model';

export type { Bid };

const CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
const BASE_TIME = Date.UTC(2026, 0, 1);

/** Deterministic 32-bit mix of a sequence number, so bid n is the same on every run and subtask. */
function mix(n: number, salt: number): number {
  let h = Math.imul(n ^ salt, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** Bid number `n`: a pure function of n. */
export function bidAt(n: number): Bid {
  const channel = CHANNELS[mix(n, 3) % CHANNELS.length]!;
  return {
    auction: 1000 + (mix(n, 1) % 10_000),
    bidder: 1000 + (mix(n, 2) % 100_000),
    price: 100 + (mix(n, 4) % 1_000_000),
    channel,
    url: `https://www.nexmark.com/${channel.toLowerCase()}/item.htm?query=${mix(n, 5) % 1000}`,
    dateTime: BASE_TIME + n * 10,
    extra: '',
  };
}

/** `count` bids (numbered 0..count-1) split into contiguous ranges across subtasks. */
export function bidSource(count: number): Source<Bid> {
  return generatorSource(count, bidAt);
}
