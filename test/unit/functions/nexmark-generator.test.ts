import {
  DEFAULT_GENERATOR,
  FIRST_AUCTION_ID,
  FIRST_PERSON_ID,
  NexmarkGenerator,
  nexmarkSource,
} from '../../../functions/nexmark/generator';
import type { NexmarkEvent } from '../../../functions/nexmark/model';
import { eventTime } from '../../../functions/nexmark/model';

const config = (events: number, seed = DEFAULT_GENERATOR.seed) => ({ ...DEFAULT_GENERATOR, events, seed });

function generate(events: number, seed?: number): NexmarkEvent[] {
  const g = new NexmarkGenerator(config(events, seed));
  return Array.from({ length: events }, (_, n) => g.eventAt(n));
}

/** Reads every subtask's reader of the source to the end; returns their events, per subtask. */
function readSlices(events: number, parallelism: number): NexmarkEvent[][] {
  const source = nexmarkSource(config(events));
  return Array.from({ length: parallelism }, (_, subtaskIndex) => {
    const reader = source.createReader({ subtaskIndex, parallelism, taskManagerId: 'test' } as never);
    const out: NexmarkEvent[] = [];
    while (reader.pollNext({ collect: (e) => out.push(e) }) !== 'end');
    return out;
  });
}

describe('Nexmark generator', () => {
  const events = generate(50_000);

  it('makes persons, auctions and bids in the proportions 1:3:46', () => {
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect([count('person'), count('auction'), count('bid')]).toEqual([1000, 3000, 46_000]);
  });

  it('gives persons and auctions consecutive ids from 1000, in event order', () => {
    const persons = events.flatMap((e) => (e.type === 'person' ? [e.person.id] : []));
    const auctions = events.flatMap((e) => (e.type === 'auction' ? [e.auction.id] : []));
    expect(persons).toEqual(persons.map((_, i) => FIRST_PERSON_ID + i));
    expect(auctions).toEqual(auctions.map((_, i) => FIRST_AUCTION_ID + i));
  });

  it('refers to recently created persons and auctions (or ones created a little later)', () => {
    let lastPerson = FIRST_PERSON_ID - 1;
    let lastAuction = FIRST_AUCTION_ID - 1;
    let backward = 0;
    const bad: NexmarkEvent[] = [];
    for (const e of events) {
      if (e.type === 'person') lastPerson = e.person.id;
      else if (e.type === 'auction') {
        lastAuction = e.auction.id;
        if (e.auction.seller > lastPerson + 10 || e.auction.seller <= lastPerson - 1000 - 100) bad.push(e);
      } else {
        const { auction, bidder } = e.bid;
        if (auction > lastAuction + 10 || auction < lastAuction - 200 || bidder > lastPerson + 10)
          bad.push(e);
        if (auction < lastAuction) backward++;
      }
    }
    expect(bad).toEqual([]);
    expect(backward).toBeGreaterThan(0);
  });

  it('spaces event times by the rate and keeps fields in their standard shapes', () => {
    expect(eventTime(events[0]!)).toBe(DEFAULT_GENERATOR.baseTime);
    expect(eventTime(events[20_000]!)).toBe(DEFAULT_GENERATOR.baseTime + 2000); // 10,000 events/s
    for (const e of events.slice(0, 500)) {
      if (e.type === 'person') {
        expect(e.person.creditCard).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
        expect(e.person.emailAddress).toMatch(/^[a-z ]{7}@[a-z ]{5}\.com$/);
        expect(['AZ', 'CA', 'ID', 'OR', 'WA', 'WY']).toContain(e.person.state);
      } else if (e.type === 'auction') {
        expect(e.auction.reserve).toBeGreaterThanOrEqual(e.auction.initialBid);
        expect(e.auction.expires).toBeGreaterThan(e.auction.dateTime);
        expect(e.auction.category).toBeGreaterThanOrEqual(10);
        expect(e.auction.category).toBeLessThan(15);
      } else {
        expect(e.bid.url).toMatch(/^https:\/\/www\.nexmark\.com\/\S+\/item\.htm\?query=1/);
        expect(e.bid.price).toBeGreaterThanOrEqual(100);
      }
    }
    const bidSizes = events.filter((e) => e.type === 'bid').map((e) => JSON.stringify(e).length);
    const mean = bidSizes.reduce((a, b) => a + b, 0) / bidSizes.length;
    expect(mean).toBeGreaterThan(100);
    expect(mean).toBeLessThan(250);
  });

  it('is deterministic by seed', () => {
    expect(generate(2000)).toEqual(events.slice(0, 2000));
    expect(generate(2000, 7)).not.toEqual(events.slice(0, 2000));
    expect(generate(2000, 7)).toEqual(generate(2000, 7));
  });

  it('splits the sequence into disjoint slices whose union is the whole, at any parallelism', () => {
    const whole = events.slice(0, 10_001).map((e) => JSON.stringify(e));
    for (const parallelism of [1, 3]) {
      const slices = readSlices(10_001, parallelism);
      const union = slices.flat().map((e) => JSON.stringify(e));
      expect(union.sort()).toEqual([...whole].sort());
      for (const slice of slices) {
        const times = slice.map(eventTime);
        expect(times).toEqual([...times].sort((a, b) => a - b));
      }
    }
  });

  it('resumes a subtask from its checkpointed position with the events it had not emitted', () => {
    const source = nexmarkSource(config(5000));
    const context = { subtaskIndex: 1, parallelism: 2, taskManagerId: 'test' } as never;
    const whole: NexmarkEvent[] = [];
    const first = source.createReader(context);
    while (first.pollNext({ collect: (e) => whole.push(e) }) !== 'end');
    const before: NexmarkEvent[] = [];
    const interrupted = source.createReader(context);
    interrupted.pollNext({ collect: (e) => before.push(e) });
    const position = interrupted.snapshotState!(1);
    const after: NexmarkEvent[] = [];
    const resumed = source.createReader(context);
    resumed.restoreState!(position);
    while (resumed.pollNext({ collect: (e) => after.push(e) }) !== 'end');
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect([...before, ...after]).toEqual(whole);
  });

  it('rejects a bad configuration with a message naming the setting', () => {
    expect(() => nexmarkSource(config(-1))).toThrow(/events must be an integer >= 0, got -1/);
    expect(() => nexmarkSource({ ...config(10), eventsPerSecond: 0 })).toThrow(/eventsPerSecond must be > 0/);
  });
});
