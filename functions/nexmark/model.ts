/**
 * The Nexmark data model: an online auction where persons open auctions and bid on them
 * (field names and shapes as in the Nexmark benchmark and Apache Beam's Nexmark). Times are
 * ms since the epoch; prices are integers (cents).
 */

export interface Person {
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
  extra: string;
}

export interface Auction {
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

export interface Bid {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

/** One event of the stream: exactly one of a new person, a new auction or a bid (Nexmark's Event). */
export type NexmarkEvent =
  | { readonly type: 'person'; readonly person: Person }
  | { readonly type: 'auction'; readonly auction: Auction }
  | { readonly type: 'bid'; readonly bid: Bid };

/** The event's time (its person's, auction's or bid's dateTime). */
export function eventTime(e: NexmarkEvent): number {
  return e.type === 'bid' ? e.bid.dateTime : e.type === 'auction' ? e.auction.dateTime : e.person.dateTime;
}
