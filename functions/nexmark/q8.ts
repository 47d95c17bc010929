import type { AggregateFunction } from '../../runtime/api';
import { TumblingEventTimeWindows } from '../../runtime/api';
import type { NexmarkEvent } from './model';
import { defineQueryJob } from './query-job';

/** A q8 result: a person who opened an auction in the window in which they registered. */
export interface NewSeller {
  id: number;
  name: string;
  starttime: number;
}

export const Q8_WINDOW_MS = 10_000;

/** What a window of one person id holds: the person if created in it, and whether they sold. */
interface Registration {
  person?: { id: number; name: string };
  sold: boolean;
}

const registerAndSell: AggregateFunction<NexmarkEvent, Registration, Registration> = {
  createAccumulator: () => ({ sold: false }),
  add: (e, acc) =>
    e.type === 'person'
      ? { person: { id: e.person.id, name: e.person.name }, sold: acc.sold }
      : acc.sold
        ? acc
        : { ...acc, sold: true },
  merge: (a, b) => ({ ...(a.person ? { person: a.person } : b), sold: a.sold || b.sold }),
  getResult: (acc) => acc,
};

/**
 * Nexmark q8, monitor new users: persons who opened an auction in the same tumbling window of
 * 10 s in which they were created. A windowed join of persons and auctions, built as a union
 * of both keyed by person id (the auction's seller) into one tumbling window per key, which
 * keeps only the person's name and whether an auction came.
 * Arguments: see query-job.ts.
 */
export default defineQueryJob('q8', (events) =>
  events
    .filter((e) => e.type === 'person' || e.type === 'auction')
    .name('q8-persons-and-auctions')
    .keyBy((e) => (e.type === 'person' ? e.person.id : e.type === 'auction' ? e.auction.seller : -1))
    .window(TumblingEventTimeWindows.of(Q8_WINDOW_MS))
    .aggregate(registerAndSell)
    .uid('q8-join')
    .name('q8-join')
    .process<NewSeller>((r, ctx, out) => {
      if (r.person && r.sold) {
        const starttime = ctx.timestamp()! + 1 - Q8_WINDOW_MS;
        out.collect({ id: r.person.id, name: r.person.name, starttime });
      }
    })
    .name('q8-new-sellers'),
);
