import type { InputStatus, ReaderOutput, Source, SourceReader } from '../../runtime/api';
import type { Auction, Bid, NexmarkEvent, Person } from './model';
import { EventRandom } from './random';

/**
 * The Nexmark event generator, after the reference generator (Apache Beam's Nexmark, which the
 * Nexmark benchmark's Flink source also uses): out of every 50 events 1 is a new person, 3 are
 * new auctions and 46 are bids; sellers and bidders are recently created persons (a few "hot"
 * ones most of the time), bids go to recently opened auctions (a few hot ones half the time);
 * event n happens at `baseTime + n / eventsPerSecond`.
 *
 * Event n is a pure function of (seed, n). Subtask i of p generates events i, i+p, i+2p…: the
 * slices are disjoint, their union is the whole sequence at any parallelism, and every
 * subtask's event time advances together (Beam splits ids into contiguous ranges instead and
 * spaces each range's times p times wider; striding keeps results independent of p).
 */
export interface GeneratorConfig {
  /** Events in total (all subtasks together). */
  readonly events: number;
  readonly seed: number;
  /** Event-time rate: events per second of event time (Nexmark's firstEventRate, default 10,000). Generation is not paced. */
  readonly eventsPerSecond: number;
  /** Time of event 0, ms since the epoch. */
  readonly baseTime: number;
}

export const DEFAULT_GENERATOR: Omit<GeneratorConfig, 'events'> = Object.freeze({
  seed: 1,
  eventsPerSecond: 10_000,
  baseTime: Date.UTC(2026, 0, 1),
});

// Nexmark's defaults (NexmarkConfiguration / GeneratorConfig).
export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
export const TOTAL_PROPORTION = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;
export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
const NUM_CATEGORIES = 5;
const NUM_ACTIVE_PEOPLE = 1000;
const NUM_IN_FLIGHT_AUCTIONS = 100;
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
/** 1 in HOT_x_RATIO… a seller/bidder/auction is picked among the recent ones, else it is a hot one. */
const HOT_AUCTION_RATIO = 2;
const HOT_SELLERS_RATIO = 4;
const HOT_BIDDERS_RATIO = 4;
/** Hot ids are multiples of these (Beam's HOT_AUCTION_RATIO etc. of the generators). */
const HOT_AUCTION_STEP = 100;
const HOT_SELLER_STEP = 100;
const HOT_BIDDER_STEP = 100;
const AVG_PERSON_BYTES = 200;
const AVG_AUCTION_BYTES = 500;
const AVG_BID_BYTES = 100;
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
const CHANNELS = 10_000;
const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = [
  'phoenix',
  'los angeles',
  'san francisco',
  'boise',
  'portland',
  'bend',
  'redmond',
  'seattle',
  'kent',
  'cheyenne',
];
const FIRST_NAMES = [
  'peter',
  'paul',
  'luke',
  'john',
  'saul',
  'vicky',
  'kate',
  'julie',
  'sarah',
  'deiter',
  'walter',
];
const LAST_NAMES = ['shultz', 'abrams', 'spencer', 'white', 'bartels', 'walton', 'smith', 'jones', 'noris'];

export type EventKind = NexmarkEvent['type'];

export function eventKind(n: number): EventKind {
  const offset = n % TOTAL_PROPORTION;
  return offset < PERSON_PROPORTION
    ? 'person'
    : offset < PERSON_PROPORTION + AUCTION_PROPORTION
      ? 'auction'
      : 'bid';
}

/** The 0-based number of the last person created at or before event n. */
export function lastBase0PersonId(n: number): number {
  const epoch = Math.floor(n / TOTAL_PROPORTION);
  const offset = Math.min(n % TOTAL_PROPORTION, PERSON_PROPORTION - 1);
  return epoch * PERSON_PROPORTION + offset;
}

/** The 0-based number of the last auction created at or before event n (-1 before the first). */
export function lastBase0AuctionId(n: number): number {
  let epoch = Math.floor(n / TOTAL_PROPORTION);
  let offset = n % TOTAL_PROPORTION;
  if (offset < PERSON_PROPORTION) {
    epoch--;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}

/** A recently created person (or one about to be: ids lead a little, as in the reference). */
function nextBase0PersonId(n: number, random: EventRandom): number {
  const people = lastBase0PersonId(n) + 1;
  const active = Math.min(people, NUM_ACTIVE_PEOPLE);
  return people - active + random.nextInt(active + PERSON_ID_LEAD);
}

/** An auction among the last ones opened (or one about to be). */
function nextBase0AuctionId(n: number, random: EventRandom): number {
  const max = lastBase0AuctionId(n);
  const min = Math.max(max - NUM_IN_FLIGHT_AUCTIONS, 0);
  return min + random.nextInt(max - min + 1 + AUCTION_ID_LEAD);
}

/** Prices spread over 6 orders of magnitude (cents). */
function nextPrice(random: EventRandom): number {
  return Math.round(Math.pow(10, random.nextDouble() * 6) * 100);
}

/** Padding so the event's size averages `average` bytes (±20%). */
function nextExtra(random: EventRandom, currentSize: number, average: number): string {
  if (currentSize > average) return '';
  const desired = average - currentSize;
  const delta = Math.round(desired * 0.2);
  return random.nextString(desired - delta + (delta === 0 ? 0 : random.nextInt(2 * delta)));
}

/** A string of 1..max letters. */
function nextText(random: EventRandom, max: number): string {
  return random.nextString(1 + random.nextInt(max));
}

export class NexmarkGenerator {
  private readonly channels: readonly (readonly [string, string])[];
  private readonly hotUrls: readonly string[];

  constructor(readonly config: GeneratorConfig) {
    const random = new EventRandom(config.seed, -1);
    this.hotUrls = HOT_CHANNELS.map(() => baseUrl(random));
    this.channels = Array.from({ length: CHANNELS }, (_, i) => {
      const url = baseUrl(random);
      return [`channel-${i}`, random.nextInt(10) > 0 ? `${url}&channel_id=${reverseBits(i)}` : url] as const;
    });
  }

  /** Time of event n, ms since the epoch. */
  timeOf(n: number): number {
    return this.config.baseTime + Math.floor((n * 1000) / this.config.eventsPerSecond);
  }

  /** Event number n (0-based). */
  eventAt(n: number): NexmarkEvent {
    const random = new EventRandom(this.config.seed, n);
    const time = this.timeOf(n);
    switch (eventKind(n)) {
      case 'person':
        return { type: 'person', person: this.person(n, random, time) };
      case 'auction':
        return { type: 'auction', auction: this.auction(n, random, time) };
      default:
        return { type: 'bid', bid: this.bid(n, random, time) };
    }
  }

  private person(n: number, random: EventRandom, dateTime: number): Person {
    const name = `${pick(random, FIRST_NAMES)} ${pick(random, LAST_NAMES)}`;
    const emailAddress = `${random.nextString(7)}@${random.nextString(5)}.com`;
    const creditCard = [0, 1, 2, 3].map(() => String(random.nextInt(10_000)).padStart(4, '0')).join(' ');
    const city = pick(random, US_CITIES);
    const state = pick(random, US_STATES);
    const size = 16 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    const id = lastBase0PersonId(n) + FIRST_PERSON_ID;
    const extra = nextExtra(random, size, AVG_PERSON_BYTES);
    return { id, name, emailAddress, creditCard, city, state, dateTime, extra };
  }

  private auction(n: number, random: EventRandom, dateTime: number): Auction {
    const seller =
      (random.nextInt(HOT_SELLERS_RATIO) > 0
        ? Math.floor(lastBase0PersonId(n) / HOT_SELLER_STEP) * HOT_SELLER_STEP
        : nextBase0PersonId(n, random)) + FIRST_PERSON_ID;
    const category = FIRST_CATEGORY_ID + random.nextInt(NUM_CATEGORIES);
    const initialBid = nextPrice(random);
    const expires = dateTime + this.auctionLengthMs(n, random, dateTime);
    const itemName = nextText(random, 20);
    const description = nextText(random, 100);
    const reserve = initialBid + nextPrice(random);
    const extra = nextExtra(random, 48 + itemName.length + description.length, AVG_AUCTION_BYTES);
    const id = lastBase0AuctionId(n) + FIRST_AUCTION_ID;
    return { id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra };
  }

  /** Auctions last about as long as it takes to open NUM_IN_FLIGHT_AUCTIONS more (uniform up to twice that). */
  private auctionLengthMs(n: number, random: EventRandom, dateTime: number): number {
    const eventsForAuctions = Math.floor((NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION) / AUCTION_PROPORTION);
    const horizonMs = this.timeOf(n + eventsForAuctions) - dateTime;
    return 1 + random.nextInt(Math.max(horizonMs * 2, 1));
  }

  private bid(n: number, random: EventRandom, dateTime: number): Bid {
    const auction =
      (random.nextInt(HOT_AUCTION_RATIO) > 0
        ? Math.floor(lastBase0AuctionId(n) / HOT_AUCTION_STEP) * HOT_AUCTION_STEP
        : nextBase0AuctionId(n, random)) + FIRST_AUCTION_ID;
    const bidder =
      (random.nextInt(HOT_BIDDERS_RATIO) > 0
        ? Math.floor(lastBase0PersonId(n) / HOT_BIDDER_STEP) * HOT_BIDDER_STEP + 1
        : nextBase0PersonId(n, random)) + FIRST_PERSON_ID;
    const price = nextPrice(random);
    let channel: string;
    let url: string;
    if (random.nextInt(2) > 0) {
      const i = random.nextInt(HOT_CHANNELS.length);
      channel = HOT_CHANNELS[i]!;
      url = this.hotUrls[i]!;
    } else {
      [channel, url] = this.channels[random.nextInt(CHANNELS)]!;
    }
    const extra = nextExtra(random, 32 + channel.length + url.length, AVG_BID_BYTES);
    return { auction, bidder, price, channel, url, dateTime, extra };
  }
}

function pick<T>(random: EventRandom, values: readonly T[]): T {
  return values[random.nextInt(values.length)]!;
}

function baseUrl(random: EventRandom): string {
  const part = (): string => random.nextString(5).replace(/ /g, '_');
  return `https://www.nexmark.com/${part()}/${part()}/${part()}/item.htm?query=1`;
}

/** Java's Math.abs(Integer.reverse(i)): the channel id the reference puts in some urls. */
function reverseBits(i: number): number {
  let r = 0;
  for (let b = 0; b < 32; b++) r = (r << 1) | ((i >>> b) & 1);
  return Math.abs(r | 0);
}

const BATCH = 512;

/** The Nexmark events as a bounded, checkpointable source (see {@link NexmarkGenerator} for the slices). */
export function nexmarkSource(config: GeneratorConfig): Source<NexmarkEvent> {
  checkConfig(config);
  return {
    boundedness: 'bounded',
    createReader: ({ subtaskIndex, parallelism }) =>
      new NexmarkReader(new NexmarkGenerator(config), subtaskIndex, parallelism),
  };
}

class NexmarkReader implements SourceReader<NexmarkEvent, { next: number }> {
  private next: number;

  constructor(
    private readonly generator: NexmarkGenerator,
    subtaskIndex: number,
    private readonly step: number,
  ) {
    this.next = subtaskIndex;
  }

  pollNext(output: ReaderOutput<NexmarkEvent>): InputStatus {
    const end = this.generator.config.events;
    for (let i = 0; i < BATCH && this.next < end; i++, this.next += this.step) {
      output.collect(this.generator.eventAt(this.next));
    }
    return this.next < end ? 'more' : 'end';
  }

  snapshotState(): { next: number } {
    return { next: this.next };
  }

  restoreState(state: { next: number }): void {
    this.next = state.next;
  }
}

function checkConfig(c: GeneratorConfig): void {
  if (!Number.isSafeInteger(c.events) || c.events < 0)
    throw new RangeError(`nexmark: events must be an integer >= 0, got ${c.events}`);
  if (!Number.isSafeInteger(c.seed)) throw new RangeError(`nexmark: seed must be an integer, got ${c.seed}`);
  if (!Number.isFinite(c.eventsPerSecond) || c.eventsPerSecond <= 0)
    throw new RangeError(`nexmark: eventsPerSecond must be > 0, got ${c.eventsPerSecond}`);
  if (!Number.isSafeInteger(c.baseTime))
    throw new RangeError(`nexmark: baseTime must be ms, got ${c.baseTime}`);
}
