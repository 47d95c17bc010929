import { ListStateDescriptor, ValueStateDescriptor } from '../../runtime/api';
import type { Collector, ProcessContext } from '../../runtime/api';
import type { NexmarkEvent } from './model';
import { defineQueryJob } from './query-job';

/** A q3 result: who sells what, locally (Nexmark q3's columns). */
export interface LocalItem {
  name: string;
  city: string;
  state: string;
  id: number;
}

export const Q3_STATES: readonly string[] = ['OR', 'ID', 'CA'];
export const Q3_CATEGORY = 10;

const seller = new ValueStateDescriptor<{ name: string; city: string; state: string }>('seller');
const waiting = new ListStateDescriptor<number>('auctions-waiting-for-seller');

/**
 * Nexmark q3, local item suggestion: persons in OR, ID or CA joined with their auctions of
 * category 10, as an incremental join keyed by seller: the person is kept in keyed state, and
 * auctions that arrive before their seller wait in keyed state until it does (both sides stay,
 * as in Flink's regular join). Arguments: see query-job.ts.
 */
export default defineQueryJob('q3', (events) =>
  events
    .filter(
      (e) =>
        (e.type === 'person' && Q3_STATES.includes(e.person.state)) ||
        (e.type === 'auction' && e.auction.category === Q3_CATEGORY),
    )
    .name('q3-filter')
    .keyBy((e) => (e.type === 'person' ? e.person.id : e.type === 'auction' ? e.auction.seller : -1))
    .process(joinSellerAndAuctions)
    .uid('q3-join')
    .name('q3-join'),
);

function joinSellerAndAuctions(e: NexmarkEvent, ctx: ProcessContext, out: Collector<LocalItem>): void {
  const person = ctx.getState(seller);
  const pending = ctx.getListState(waiting);
  if (e.type === 'person') {
    const p = { name: e.person.name, city: e.person.city, state: e.person.state };
    person.update(p);
    for (const id of pending.get()) out.collect({ ...p, id });
    pending.clear();
  } else if (e.type === 'auction') {
    const p = person.value();
    if (p) out.collect({ ...p, id: e.auction.id });
    else pending.add(e.auction.id);
  }
}
