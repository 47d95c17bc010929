import { InvalidJobError } from '../../errors';
import { ValueStateDescriptor } from '../../state/state-descriptors';
import type { ValueState } from '../../state/state-types';
import type { TimeWindow } from './window-assigners';
import { maxTimestamp } from './window-assigners';

/** What a trigger decides for a window (Flink's TriggerResult). */
export const TriggerResult = {
  /** Nothing happens. */
  CONTINUE: 'CONTINUE',
  /** The window's function runs over its contents, which are kept. */
  FIRE: 'FIRE',
  /** The window's contents are dropped without output. */
  PURGE: 'PURGE',
  /** The window's function runs, then its contents are dropped. */
  FIRE_AND_PURGE: 'FIRE_AND_PURGE',
} as const;
export type TriggerResult = (typeof TriggerResult)[keyof typeof TriggerResult];

/**
 * What a trigger may do for the window and key it is called for (Flink's Trigger.TriggerContext).
 * Timers belong to that window and key and call the trigger's `onEventTime`/`onProcessingTime`;
 * partitioned state is per key and window, kept in the keyed state backend (checkpointed).
 */
export interface TriggerContext {
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(time: number): void;
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  getPartitionedState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
}

/** `onMerge`'s context: the trigger state of the windows merged into this one can be combined into it. */
export interface OnMergeContext extends TriggerContext {
  /** Folds this state of every merged window into the merged window's (Flink's mergePartitionedState). */
  mergePartitionedState<T>(descriptor: ValueStateDescriptor<T>, merge: (a: T, b: T) => T): void;
}

/**
 * Decides when a window fires and when its contents are purged (Flink's Trigger). `.trigger(t)`
 * replaces the window assigner's default trigger. `clear` must delete the trigger's timers and
 * state for the window; it runs when the window is cleaned up (its end plus allowed lateness).
 * Merging windows (sessions) need `onMerge`.
 */
export interface Trigger<T = unknown> {
  onElement(element: T, timestamp: number, window: TimeWindow, ctx: TriggerContext): TriggerResult;
  onEventTime(time: number, window: TimeWindow, ctx: TriggerContext): TriggerResult;
  onProcessingTime(time: number, window: TimeWindow, ctx: TriggerContext): TriggerResult;
  clear(window: TimeWindow, ctx: TriggerContext): void;
  /** Windows were merged into `window` (session windows); their timers and state are cleared afterwards. */
  onMerge?(window: TimeWindow, ctx: OnMergeContext): void;
}

/** Fires once the watermark passes the window's end (the default of event-time assigners). */
export const EventTimeTrigger = {
  create: (): Trigger => ({
    onElement(_e, _ts, window, ctx) {
      if (maxTimestamp(window) <= ctx.currentWatermark()) return TriggerResult.FIRE;
      ctx.registerEventTimeTimer(maxTimestamp(window));
      return TriggerResult.CONTINUE;
    },
    onEventTime: (time, window) =>
      time === maxTimestamp(window) ? TriggerResult.FIRE : TriggerResult.CONTINUE,
    onProcessingTime: () => TriggerResult.CONTINUE,
    clear: (window, ctx) => ctx.deleteEventTimeTimer(maxTimestamp(window)),
    onMerge(window, ctx) {
      if (maxTimestamp(window) > ctx.currentWatermark()) ctx.registerEventTimeTimer(maxTimestamp(window));
    },
  }),
};

/** Fires once the wall clock passes the window's end (the default of processing-time assigners). */
export const ProcessingTimeTrigger = {
  create: (): Trigger => ({
    onElement(_e, _ts, window, ctx) {
      ctx.registerProcessingTimeTimer(maxTimestamp(window));
      return TriggerResult.CONTINUE;
    },
    onEventTime: () => TriggerResult.CONTINUE,
    onProcessingTime: () => TriggerResult.FIRE,
    clear: (window, ctx) => ctx.deleteProcessingTimeTimer(maxTimestamp(window)),
    onMerge: (window, ctx) => ctx.registerProcessingTimeTimer(maxTimestamp(window)),
  }),
};

/**
 * Fires every `count` elements of a window (Flink's CountTrigger): the contents are kept, so
 * each firing sees all elements so far; wrap it in `PurgingTrigger.of` for disjoint batches.
 * Elements still uncounted when the window is cleaned up are dropped without firing.
 */
export const CountTrigger = {
  of: (count: number): Trigger => {
    if (!Number.isInteger(count) || count < 1)
      throw new InvalidJobError(`CountTrigger.of: ${count} is not an integer >= 1`);
    const seen = new ValueStateDescriptor<number>('count', 0);
    return {
      onElement(_e, _ts, _window, ctx) {
        const state = ctx.getPartitionedState(seen);
        const n = (state.value() ?? 0) + 1;
        if (n < count) {
          state.update(n);
          return TriggerResult.CONTINUE;
        }
        state.clear();
        return TriggerResult.FIRE;
      },
      onEventTime: () => TriggerResult.CONTINUE,
      onProcessingTime: () => TriggerResult.CONTINUE,
      clear: (_window, ctx) => ctx.getPartitionedState(seen).clear(),
      onMerge: (_window, ctx) => ctx.mergePartitionedState(seen, (a, b) => a + b),
    };
  },
};

/** Turns every FIRE of `trigger` into FIRE_AND_PURGE (Flink's PurgingTrigger). */
export const PurgingTrigger = {
  of: <T>(trigger: Trigger<T>): Trigger<T> => {
    const purging = (r: TriggerResult): TriggerResult =>
      r === TriggerResult.FIRE ? TriggerResult.FIRE_AND_PURGE : r;
    return {
      onElement: (e, ts, w, ctx) => purging(trigger.onElement(e, ts, w, ctx)),
      onEventTime: (t, w, ctx) => purging(trigger.onEventTime(t, w, ctx)),
      onProcessingTime: (t, w, ctx) => purging(trigger.onProcessingTime(t, w, ctx)),
      clear: (w, ctx) => trigger.clear(w, ctx),
      ...(trigger.onMerge
        ? { onMerge: (w: TimeWindow, ctx: OnMergeContext) => trigger.onMerge!(w, ctx) }
        : {}),
    };
  },
};

/** Checks what a (user) trigger returned. */
export function checkTriggerResult(result: unknown, call: string): TriggerResult {
  switch (result) {
    case TriggerResult.CONTINUE:
    case TriggerResult.FIRE:
    case TriggerResult.PURGE:
    case TriggerResult.FIRE_AND_PURGE:
      return result;
    default:
      throw new InvalidJobError(
        `trigger ${call} returned ${JSON.stringify(result) ?? String(result)}, not a TriggerResult (CONTINUE, FIRE, PURGE or FIRE_AND_PURGE)`,
      );
  }
}
