import { TumblingEventTimeWindows } from '../../runtime/api';
import { defineQueryJob } from './query-job';

/** A q8 result: a person who opened an auction in the window in which they registered. */
export interface NewSeller {
  id: number;
  name: string;
  starttime: number;
}

export const Q8_WINDOW_MS = 10_000;

/**
 * Nexmark q8, monitor new users: persons who opened an auction in the same tumbling window of
 * 10 s in which they were created. A windowed join of persons and auctions, built as a union
 * of both keyed by person id (the auction's seller) into one tumbling window per key.
 * Arguments: see query-job.ts.
 */
export default defineQueryJob('q8', (events) =>
  events
    .filter((e) => e.type === 'person' || e.type === 'auction')
    .name('q8-persons-and-auctions')
    .keyBy((e) => (e.type === 'person' ? e.person.id : e.type === 'auction' ? e.auction.seller : -1))
    .window(TumblingEventTimeWindows.of(Q8_WINDOW_MS))
    .process<NewSeller>((_key, ctx, elements, out) => {
      let person: { id: number; name: string } | undefined;
      let sold = false;
      for (const e of elements) {
        if (e.type === 'person') person = e.person;
        else if (e.type === 'auction') sold = true;
      }
      if (person && sold) out.collect({ id: person.id, name: person.name, starttime: ctx.window.start });
    })
    .uid('q8-join')
    .name('q8-join'),
);
