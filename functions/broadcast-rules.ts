import { MapStateDescriptor, OutputTag, WatermarkStrategy, defineJob } from '../runtime/api';
import type { KeyedBroadcastProcessFunction } from '../runtime/api';
import { intArg } from './job-args';

export interface Reading {
  sensor: string;
  seq: number;
  ts: number;
  value: number;
}

/** A new threshold for a sensor from `ts` on; `null` switches its alerts off. */
export interface Rule {
  sensor: string;
  ts: number;
  threshold: number | null;
}

/** Event time between two rules (they are far fewer than readings, as rules are). */
export const RULE_SPACING_MS = 370;

/** Reading n: sensors in turn, 10 ms of event time apart, values 0..99. */
export function readingAt(n: number, sensors: number): Reading {
  return { sensor: `s${n % sensors}`, seq: n, ts: n * 10, value: (n * 7919) % 100 };
}

/** Rule m: for sensor m % sensors at m * RULE_SPACING_MS; every 7th switches the sensor's alerts off. */
export function ruleAt(m: number, sensors: number): Rule {
  const threshold = m % 7 === 6 ? null : 40 + ((m * 104729) % 60);
  return { sensor: `s${m % sensors}`, ts: m * RULE_SPACING_MS, threshold };
}

/** Rules needed to cover the event time of `readings` readings. */
export function rulesFor(readings: number): number {
  return Math.ceil((readings * 10) / RULE_SPACING_MS);
}

/** Per sensor, its rules so far as [ts, threshold], ordered by time. */
export const THRESHOLDS = new MapStateDescriptor<string, [number, number | null][]>('thresholds');
/** Readings of a sensor that had no rule yet at their time. */
export const UNRULED = new OutputTag<string>('unruled');

/** The threshold of the latest rule at or before `ts`; undefined when there is none. */
function thresholdAt(
  history: readonly [number, number | null][] | undefined,
  ts: number,
): number | null | undefined {
  let found: number | null | undefined;
  for (const [at, threshold] of history ?? []) {
    if (at > ts) break;
    found = threshold;
  }
  return found;
}

/**
 * Dynamic thresholds (the broadcast state pattern): rules are broadcast to every subtask and
 * kept in broadcast state; readings, keyed by sensor, wait in keyed state until the watermark
 * (of both inputs) passes their time, so every rule up to that time has arrived, then are
 * checked against the rule in force at their time. Alerts carry the sensor's running count.
 */
export const checkThresholds: KeyedBroadcastProcessFunction<string, Reading, Rule, string> = {
  processElement(reading, ctx) {
    ctx.getMapState(new MapStateDescriptor<number, Reading>('waiting')).put(reading.ts, reading);
    ctx.timerService().registerEventTimeTimer(reading.ts);
  },
  processBroadcastElement(rule, ctx) {
    // Every subtask gets every rule and changes its copy the same way (kept in time order).
    const state = ctx.getBroadcastState(THRESHOLDS);
    const history = [...(state.get(rule.sensor) ?? []), [rule.ts, rule.threshold] as [number, number | null]];
    state.put(
      rule.sensor,
      history.sort((a, b) => a[0] - b[0]),
    );
  },
  onTimer(timestamp, ctx, out) {
    const waiting = ctx.getMapState(new MapStateDescriptor<number, Reading>('waiting'));
    const reading = waiting.get(timestamp);
    if (!reading) return;
    waiting.remove(timestamp);
    const threshold = thresholdAt(ctx.getBroadcastState(THRESHOLDS).get(reading.sensor), timestamp);
    if (threshold === undefined) ctx.output(UNRULED, `unruled ${reading.sensor} ${reading.seq}`);
    if (threshold === undefined || threshold === null || reading.value <= threshold) return;
    const alerts = ctx.getState<number>('alerts');
    const count = (alerts.value() ?? 0) + 1;
    alerts.update(count);
    out.collect(`alert ${reading.sensor} ${reading.seq} ${reading.value}>${threshold} #${count}`);
  },
};

/**
 * Broadcast state example: sensor readings checked against per-sensor thresholds that a rules
 * stream changes while the job runs.
 *   --arg readings=N   number of readings (default 5000)
 *   --arg sensors=N    number of sensors (default 7)
 *   --arg output=DIR   write alerts into DIR (exactly once with checkpoints) instead of printing
 *   --arg interval=MS  checkpoint interval (default: no checkpoints)
 *   --arg paceEvery=N --arg pauseMs=MS   sleep MS after every N readings (and as long per rule)
 */
export default defineJob('broadcast-rules', (env, args) => {
  const readings = intArg(args, 'readings', 5000);
  const sensors = intArg(args, 'sensors', 7, 1);
  const paceEvery = intArg(args, 'paceEvery', 0);
  const pauseMs = intArg(args, 'pauseMs', 1);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const pace = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms);
  if (args.interval) env.enableCheckpointing(intArg(args, 'interval', 0, 1));
  if (args.stateBackend === 'heap' || args.stateBackend === 'kv') env.setStateBackend(args.stateBackend);
  env.setAutoWatermarkInterval(50);
  const timestamps = <T extends { ts: number }>() =>
    WatermarkStrategy.forMonotonousTimestamps<T>().withTimestampAssigner((e) => e.ts);
  const rules = env
    .fromGenerator(
      rulesFor(readings),
      (m) => {
        if (paceEvery > 0) pace((pauseMs * RULE_SPACING_MS) / 10 / paceEvery);
        return ruleAt(m, sensors);
      },
      'rules',
    )
    .uid('rules')
    .assignTimestampsAndWatermarks(timestamps<Rule>())
    .uid('rule-timestamps')
    .broadcast(THRESHOLDS);
  const alerts = env
    .fromGenerator(
      readings,
      (n) => {
        if (paceEvery > 0 && n % paceEvery === 0) pace(pauseMs);
        return readingAt(n, sensors);
      },
      'readings',
    )
    .uid('readings')
    .assignTimestampsAndWatermarks(timestamps<Reading>())
    .uid('reading-timestamps')
    .keyBy((r) => r.sensor)
    .connect(rules)
    .process(checkThresholds)
    .uid('check-thresholds')
    .name('check-thresholds');
  if (args.output) alerts.writeAsText(args.output).uid('alerts-sink');
  else {
    alerts.print();
    alerts.getSideOutput(UNRULED).print('Unruled');
  }
});
