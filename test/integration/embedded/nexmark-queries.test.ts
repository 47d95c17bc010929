import { join } from 'node:path';
import { DEFAULT_GENERATOR, NexmarkGenerator } from '../../../functions/nexmark/generator';
import type { Auction, Bid, NexmarkEvent, Person } from '../../../functions/nexmark/model';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { REPO_ROOT, runEmbedded } from '../../helpers/embedded';

/**
 * Each Nexmark query against a reference computed here, directly from the generated events
 * (plain loops over arrays, not the query code). 20,000 events at 500 events/s of event time
 * span 40 s: several windows of every kind.
 */
const EVENTS = 20_000;
const RATE = 500;
const generator = new NexmarkGenerator({ ...DEFAULT_GENERATOR, events: EVENTS, eventsPerSecond: RATE });
const events: NexmarkEvent[] = Array.from({ length: EVENTS }, (_, n) => generator.eventAt(n));
const bids: Bid[] = events.flatMap((e) => (e.type === 'bid' ? [e.bid] : []));
const auctions: Auction[] = events.flatMap((e) => (e.type === 'auction' ? [e.auction] : []));
const persons: Person[] = events.flatMap((e) => (e.type === 'person' ? [e.person] : []));

async function runQuery(query: string, parallelism = 2): Promise<unknown[]> {
  const { lines } = await runEmbedded(
    join(REPO_ROOT, 'functions', 'nexmark', `${query}.ts`),
    { events: String(EVENTS), rate: String(RATE), sink: 'print' },
    { parallelism },
  );
  return lines.map((l) => JSON.parse(l) as unknown);
}

const sorted = (values: unknown[]): string[] => values.map((v) => JSON.stringify(v)).sort();

/** Groups values by a key, keeping first-seen order inside each group. */
function groupBy<T, K>(values: readonly T[], key: (v: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const v of values) {
    const k = key(v);
    const g = groups.get(k);
    if (g) g.push(v);
    else groups.set(k, [v]);
  }
  return groups;
}

describe('Nexmark queries against reference computations', () => {
  it('q0 passes every bid through', async () => {
    expect(sorted(await runQuery('q0'))).toEqual(sorted(bids));
  });

  it('q1 converts every price to euros', async () => {
    const expected = bids.map((b) => ({ ...b, price: Math.round(b.price * 0.908) }));
    expect(sorted(await runQuery('q1'))).toEqual(sorted(expected));
  });

  it('q2 keeps [auction, price] of bids on auctions whose id is a multiple of 123', async () => {
    const expected = bids.filter((b) => b.auction % 123 === 0).map((b) => [b.auction, b.price]);
    expect(expected.length).toBeGreaterThan(0);
    expect(sorted(await runQuery('q2'))).toEqual(sorted(expected));
  });

  it('q3 joins sellers in OR, ID or CA with their auctions of category 10', async () => {
    const byId = new Map(persons.map((p) => [p.id, p]));
    const expected = auctions.flatMap((a) => {
      const p = byId.get(a.seller);
      return a.category === 10 && p && ['OR', 'ID', 'CA'].includes(p.state)
        ? [{ name: p.name, city: p.city, state: p.state, id: a.id }]
        : [];
    });
    expect(expected.length).toBeGreaterThan(20);
    expect(sorted(await runQuery('q3'))).toEqual(sorted(expected));
  });

  it('q4 averages per category the highest bid of each auction within its lifetime', async () => {
    const closing = auctions.flatMap((a) => {
      const prices = bids
        .filter((b) => b.auction === a.id && b.dateTime >= a.dateTime && b.dateTime <= a.expires)
        .map((b) => b.price);
      return prices.length > 0 ? [{ category: a.category, price: Math.max(...prices) }] : [];
    });
    const expected = [...groupBy(closing, (c) => c.category)].map(([category, cs]) => ({
      category,
      auctions: cs.length,
      average: cs.reduce((s, c) => s + c.price, 0) / cs.length,
    }));
    const results = (await runQuery('q4')) as { category: number; auctions: number }[];
    expect(results).toHaveLength(closing.length);
    const last = [...groupBy(results, (r) => r.category).values()].map((rs) =>
      rs.reduce((a, b) => (b.auctions > a.auctions ? b : a)),
    );
    expect(sorted(last)).toEqual(sorted(expected));
  });

  it('q5 finds the auctions with the most bids in every sliding window of 10 s every 2 s', async () => {
    const counts = new Map<number, Map<number, number>>(); // window start -> auction -> bids
    for (const b of bids) {
      const lastStart = b.dateTime - (b.dateTime % 2000);
      for (let start = lastStart; start > b.dateTime - 10_000; start -= 2000) {
        const perAuction = counts.get(start) ?? new Map<number, number>();
        perAuction.set(b.auction, (perAuction.get(b.auction) ?? 0) + 1);
        counts.set(start, perAuction);
      }
    }
    const expected = [...counts].flatMap(([start, perAuction]) => {
      const max = Math.max(...perAuction.values());
      return [...perAuction]
        .filter(([, n]) => n === max)
        .map(([auction, num]) => ({ auction, num, starttime: start, endtime: start + 10_000 }));
    });
    expect(counts.size).toBeGreaterThan(15);
    expect(sorted(await runQuery('q5'))).toEqual(sorted(expected));
  });

  it('q7 finds the highest bids of every tumbling window of 10 s', async () => {
    const expected = [...groupBy(bids, (b) => Math.floor(b.dateTime / 10_000)).values()].flatMap((ws) => {
      const max = Math.max(...ws.map((b) => b.price));
      return ws.filter((b) => b.price === max);
    });
    expect(expected.length).toBeGreaterThanOrEqual(4);
    expect(sorted(await runQuery('q7'))).toEqual(sorted(expected));
  });

  it('q8 finds persons who opened an auction in the tumbling window of 10 s they registered in', async () => {
    const window = (t: number): number => t - (t % 10_000);
    const sold = new Set(auctions.map((a) => `${a.seller}@${window(a.dateTime)}`));
    const expected = persons
      .filter((p) => sold.has(`${p.id}@${window(p.dateTime)}`))
      .map((p) => ({ id: p.id, name: p.name, starttime: window(p.dateTime) }));
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.length).toBeLessThan(persons.length);
    expect(sorted(await runQuery('q8'))).toEqual(sorted(expected));
  });

  it('q11 counts the bids of each bidder per session (sessions end after 10 s without a bid)', async () => {
    const expected = [...groupBy(bids, (b) => b.bidder)].flatMap(([bidder, bs]) => {
      const times = bs.map((b) => b.dateTime).sort((a, b) => a - b);
      const sessions: { bidder: number; bidCount: number; starttime: number; endtime: number }[] = [];
      let first = times[0]!;
      let count = 0;
      times.forEach((t, i) => {
        if (i > 0 && t - times[i - 1]! > 10_000) {
          sessions.push({ bidder, bidCount: count, starttime: first, endtime: times[i - 1]! + 10_000 });
          first = t;
          count = 0;
        }
        count++;
      });
      sessions.push({ bidder, bidCount: count, starttime: first, endtime: times.at(-1)! + 10_000 });
      return sessions;
    });
    expect(expected.length).toBeGreaterThan(new Set(bids.map((b) => b.bidder)).size);
    expect(sorted(await runQuery('q11'))).toEqual(sorted(expected));
  });

  it('rejects bad arguments with a message naming the argument', () => {
    const q0 = join(REPO_ROOT, 'functions', 'nexmark', 'q0.ts');
    expect(() => prepareJob(q0, { events: 'many' })).toThrow(/events must be an integer >= 0, got 'many'/);
    expect(() => prepareJob(q0, { rate: '0' })).toThrow(/rate must be an integer >= 1, got '0'/);
    expect(() => prepareJob(q0, { sink: 'kafka' })).toThrow(/sink must be one of count, print, discard/);
  });
});
