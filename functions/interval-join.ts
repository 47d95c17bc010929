import { TumblingEventTimeWindows, WatermarkStrategy, defineJob } from '../runtime/api';
import type { StreamExecutionEnvironment } from '../runtime/api';
import { intArg } from './job-args';

export interface Impression {
  id: number;
  adId: number;
  ts: number;
}

export interface Click {
  id: number;
  adId: number;
  ts: number;
}

/** The disorder of both streams: timestamps step back by up to this. */
export const DISORDER_MS = 60;
const ADS = 40;

/** Impression n: 10 ms of event time apart, out of order by up to DISORDER_MS. */
export function impressionAt(n: number): Impression {
  return { id: n, adId: (n * 17) % ADS, ts: Math.max(0, n * 10 - ((n * 7919) % DISORDER_MS)) };
}

/** Click n: 25 ms apart, on another rotation of ads, out of order by up to DISORDER_MS. */
export function clickAt(n: number): Click {
  return { id: n, adId: (n * 13) % ADS, ts: Math.max(0, n * 25 - ((n * 104729) % DISORDER_MS)) };
}

function streams(env: StreamExecutionEnvironment, count: number) {
  const strategy = <T extends { ts: number }>() =>
    WatermarkStrategy.forBoundedOutOfOrderness<T>(DISORDER_MS).withTimestampAssigner((e) => e.ts);
  const impressions = env
    .fromGenerator(count, impressionAt, 'impressions')
    .uid('impressions')
    .assignTimestampsAndWatermarks(strategy<Impression>());
  const clicks = env
    .fromGenerator(Math.floor(count / 2), clickAt, 'clicks')
    .uid('clicks')
    .assignTimestampsAndWatermarks(strategy<Click>());
  return { impressions, clicks };
}

/**
 * Joins of two event-time streams: ad impressions and clicks, by ad.
 *   --arg kind=interval  (default) interval join: each click `lower..upper` ms around an impression
 *                        of its ad, printed as `<impression id> <click id>`
 *   --arg kind=window    window join in tumbling windows of `size` ms: `<impression id> <click id>`
 *   --arg kind=coGroup   co-group in the same windows: `<ad> <window start> <impressions> <clicks>`
 *   --arg lower=-100 --arg upper=300 --arg exclusive=true|false --arg size=500 --arg count=2000
 */
export default defineJob('interval-join', (env, args) => {
  const count = intArg(args, 'count', 2000);
  if (args.stateBackend === 'kv') env.setStateBackend('kv');
  const { impressions, clicks } = streams(env, count);
  const kind = args.kind ?? 'interval';
  const size = intArg(args, 'size', 500, 1);
  if (kind === 'window') {
    impressions
      .join(clicks)
      .where((i) => i.adId)
      .equalTo((c) => c.adId)
      .window(TumblingEventTimeWindows.of(size))
      .apply((i, c) => `${i.id} ${c.id}`)
      .print();
    return;
  }
  if (kind === 'coGroup') {
    impressions
      .coGroup(clicks)
      .where((i) => i.adId)
      .equalTo((c) => c.adId)
      .window(TumblingEventTimeWindows.of(size))
      .apply<string>((is, cs, out) => {
        const ad = is[0]?.adId ?? cs[0]!.adId;
        const start = Math.floor((is[0]?.ts ?? cs[0]!.ts) / size) * size;
        out.collect(`${ad} ${start} ${is.length} ${cs.length}`);
      })
      .print();
    return;
  }
  let joined = impressions
    .keyBy((i) => i.adId)
    .intervalJoin(clicks.keyBy((c) => c.adId))
    .between(
      intArg(args, 'lower', -100, Number.MIN_SAFE_INTEGER),
      intArg(args, 'upper', 300, Number.MIN_SAFE_INTEGER),
    );
  if (args.exclusive === 'true') joined = joined.lowerBoundExclusive().upperBoundExclusive();
  joined
    .process<string>((i, c, _ctx, out) => out.collect(`${i.id} ${c.id}`))
    .uid('interval-join')
    .print();
});
