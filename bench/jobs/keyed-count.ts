import { ValueStateDescriptor, defineJob } from '../../runtime/api';
import { countingSink } from './counting-sink';
import { probeSink } from './probe-sink';

/**
 * Keyed count: `records` numbers over `keys` distinct keys, a ValueState count per key, every
 * update counted by the sink. `interval` (ms) turns on exactly-once checkpoints; `backend`
 * picks heap or kv; `paceEvery` slows the source (1 ms per that many records) for recovery runs;
 * `probePort` makes the sink report each writer's first record by UDP (bench/jobs/probe-sink.ts).
 */
export default defineJob('bench-keyed-count', (env, args) => {
  const records = Number(args.records);
  const keys = Number(args.keys ?? records);
  const paceEvery = Number(args.paceEvery ?? 0);
  if (args.interval) env.enableCheckpointing(Number(args.interval));
  if (args.backend === 'heap' || args.backend === 'kv') env.setStateBackend(args.backend);
  env
    .fromGenerator(
      records,
      (n) => {
        if (paceEvery > 0 && n % paceEvery === 0) {
          const until = performance.now() + 1;
          while (performance.now() < until) {
            // paced on purpose
          }
        }
        return (n * 7919) % keys;
      },
      'keys',
    )
    .keyBy((k) => k)
    .process<number>((k, ctx, out) => {
      const count = ctx.getRuntimeContext().getState(new ValueStateDescriptor<number>('count', 0));
      count.update(count.value()! + 1);
      out.collect(count.value()!);
    })
    .name('counts')
    .sinkTo(args.probePort ? probeSink(Number(args.probePort)) : countingSink(), 'count');
});
