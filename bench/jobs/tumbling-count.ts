import type { AggregateFunction, Sink } from '../../runtime/api';
import { TumblingEventTimeWindows, WatermarkStrategy, defineJob } from '../../runtime/api';

const count: AggregateFunction<number, number, number> = {
  createAccumulator: () => 0,
  add: (_key, n) => n + 1,
  merge: (a, b) => a + b,
  getResult: (n) => n,
};

/** Sums the window counts and reports the sum per subtask: all windows together count every record. */
function summingSink(): Sink<number> {
  return {
    createWriter(ctx) {
      let sum = 0;
      return { write: (n) => void (sum += n), finish: () => ctx.emitResult(sum) };
    },
  };
}

/**
 * Tumbling-window count per key (issue 11's benchmark): `records` events, event n of key
 * n % `keys` (the keys rotate) at event time n ms, counted per key in tumbling event-time
 * windows of `windowMs` (default: twice the keys, so every window holds every key twice and
 * fires once per key), on the `backend` (heap or kv); `interval` (ms) turns on exactly-once
 * checkpoints (off by default: the row measures the window machinery; with 1M keys a snapshot of
 * the heap backend is a few seconds of CPU, see the checkpoint rows).
 */
export default defineJob('bench-tumbling-count', (env, args) => {
  const records = Number(args.records);
  const keys = Number(args.keys ?? 1_000_000);
  const windowMs = Number(args.windowMs ?? keys * 2);
  if (args.interval) env.enableCheckpointing(Number(args.interval));
  if (args.backend === 'heap' || args.backend === 'kv') env.setStateBackend(args.backend);
  env
    .fromGenerator(records, (n) => n, 'events')
    .uid('events')
    .assignTimestampsAndWatermarks(
      WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n),
    )
    .keyBy((n) => n % keys)
    .window(TumblingEventTimeWindows.of(windowMs))
    .aggregate(count)
    .uid('counts-per-window')
    .name('counts-per-window')
    .sinkTo(summingSink(), 'sum');
});
