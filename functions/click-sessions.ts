import {
  CountTrigger,
  EventTimeSessionWindows,
  OutputTag,
  PurgingTrigger,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  defineJob,
  generatorSource,
} from '../runtime/api';
import { intArg } from './job-args';

export interface Click {
  readonly n: number;
  readonly user: number;
  readonly page: string;
  /** Event time, ms: 20 ms a click, up to 1.8 s out of order, and a minute's pause every 5000 clicks. */
  readonly at: number;
}

export const SESSION_GAP_MS = 30_000;
export const HOT_WINDOW_MS = 60_000;
export const HOT_EVERY = 100;
export const ERRORS = new OutputTag<string>('errors');
export const LATE_CLICKS = new OutputTag<Click>('late-clicks');

export function clickAt(n: number, users: number): Click {
  return {
    n,
    user: n % users,
    page: `p${n % 17}`,
    at: n * 20 + (n % 7) * 300 + Math.floor(n / 5000) * 60_000,
  };
}

/**
 * Side outputs, session windows and triggers: per user, sessions of clicks closer than 30 s of
 * event time (`session <user> <start> <end> <clicks>`), with a side output of the sessions that
 * visited page p13 (`error user <user> hit p13 in <start>`) and one of clicks too late for any
 * session (`late <user> #<n>`); per page and tumbling minute, a count trigger that fires every
 * 100 clicks and purges them (`hot <page> <window start> <clicks>`), so what is left under 100
 * at the window's end is dropped (Flink's CountTrigger: it never fires on time).
 *   --arg clicks=N   clicks (default 50000)
 *   --arg users=U    users (default 500)
 */
export default defineJob('click-sessions', (env, args) => {
  const count = intArg(args, 'clicks', 50_000);
  const users = intArg(args, 'users', 500, 1);
  const clicks = env
    .fromSource(
      generatorSource(count, (n) => clickAt(n, users)),
      'clicks',
      WatermarkStrategy.forBoundedOutOfOrderness<Click>(2_000).withTimestampAssigner((c) => c.at),
    )
    .uid('clicks');

  const sessions = clicks
    .keyBy((c) => c.user)
    .window(EventTimeSessionWindows.withGap(SESSION_GAP_MS))
    .sideOutputLateData(LATE_CLICKS)
    .process<string>((user, ctx, all, out) => {
      if (all.some((c) => c.page === 'p13'))
        ctx.output(ERRORS, `error user ${user} hit p13 in ${ctx.window.start}`);
      out.collect(`session ${user} ${ctx.window.start} ${ctx.window.end} ${all.length}`);
    })
    .uid('sessions');
  sessions.print();
  sessions.getSideOutput(ERRORS).print();
  sessions
    .getSideOutput(LATE_CLICKS)
    .map((c) => `late ${c.user} #${c.n}`)
    .print();

  clicks
    .keyBy((c) => c.page)
    .window(TumblingEventTimeWindows.of(HOT_WINDOW_MS))
    .trigger(PurgingTrigger.of(CountTrigger.of(HOT_EVERY)))
    .process<string>((page, ctx, fired, out) =>
      out.collect(`hot ${page} ${ctx.window.start} ${fired.length}`),
    )
    .uid('hot-pages')
    .print();
});
