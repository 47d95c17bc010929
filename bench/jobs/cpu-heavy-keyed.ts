import { defineJob } from '../../runtime/api';
import { countingSink } from './counting-sink';

/**
 * Scaling (issue 12 item 5): a keyed job whose per-record work is CPU-bound (`rounds` rounds
 * of an integer hash per record), so its rate is set by cores, not by the exchange.
 */
export default defineJob('bench-cpu-heavy-keyed', (env, args) => {
  const rounds = Number(args.rounds ?? 2000);
  env
    .fromGenerator(Number(args.records), (n) => n % 10_000, 'keys')
    .keyBy((k) => k)
    .map((k) => {
      let h = k | 0;
      for (let i = 0; i < rounds; i++) h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) + i;
      return h;
    })
    .name('hash')
    .sinkTo(countingSink(), 'count');
});
