import { defineJob } from '../../runtime/api';
import type { Sink } from '../../runtime/api';
import { bidAt } from '../../functions/nexmark/bid-generator';

/**
 * Bounded memory (issue 12 item 4): bids from a fast source into a sink `slowdown` times
 * slower per record than the source makes them (`sourceUs` microseconds per bid, measured),
 * in a slot sharing group of its own so that on single-slot TaskManagers it runs in another
 * TaskManager and the records cross TCP. The run is cancelled from outside.
 */
export default defineJob('bench-slow-sink', (env, args) => {
  const burnUs = Number(args.sourceUs ?? 1) * Number(args.slowdown ?? 100);
  env
    .fromGenerator(Number(args.records ?? 1e12), bidAt, 'bids')
    .rebalance()
    .filter(() => true)
    .name('pass')
    .slotSharingGroup('sink')
    .sinkTo(slowSink(burnUs), 'slow-sink');
});

function slowSink(burnUs: number): Sink<unknown> {
  return {
    createWriter: () => ({
      write: () => {
        const until = performance.now() + burnUs / 1000;
        while (performance.now() < until) {
          // slow on purpose: this sink is the bottleneck
        }
      },
    }),
  };
}
