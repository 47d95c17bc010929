import { InvalidJobError } from '../../errors';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import { MapStateDescriptor } from '../../state/state-descriptors';
import type { ValueStateDescriptor } from '../../state/state-descriptors';
import type { MapState, ValueState } from '../../state/state-types';
import type { OnMergeContext, Trigger, TriggerResult } from '../windowing/triggers';
import { checkTriggerResult } from '../windowing/triggers';
import type { TimeWindow } from '../windowing/window-assigners';
import type { InternalTimerService } from './internal-timer-service';

/** A window as state key and timer namespace: [start, end]. */
export type WindowId = [start: number, end: number];

export const windowOf = (id: WindowId): TimeWindow => ({ start: id[0], end: id[1] });
/** Frozen: a window id is a state key, and the kv backend reuses a frozen key's encoding. */
export const idOf = (w: TimeWindow): WindowId => Object.freeze([w.start, w.end]) as WindowId;

/** Windows a record may be assigned to at a time are few; beyond this many the oldest go. */
const MAX_WINDOW_IDS = 256;

/**
 * The ids of the windows in use, by start: every record of a window (and of every key) gets
 * the same frozen id, so what the state backends and the timers derive from it (its spelling,
 * its encoding) is derived once, and no array is frozen per record.
 */
export class WindowIds {
  private readonly byStart = new Map<number, WindowId>();

  of(window: TimeWindow): WindowId {
    const known = this.byStart.get(window.start);
    if (known !== undefined && known[1] === window.end) return known;
    const id = idOf(window);
    if (known === undefined && this.byStart.size >= MAX_WINDOW_IDS) {
      // Map order is insertion order: the first is the oldest.
      this.byStart.delete(this.byStart.keys().next().value!);
    }
    this.byStart.set(window.start, id);
    return id;
  }
}

/**
 * Calls a window operator's trigger for one window of the current key (Flink's WindowOperator
 * Context): its timers are the operator's timers in the window's namespace, its partitioned
 * state one map per key, `[state name, start, end] -> value`, in the keyed state backend.
 */
export class WindowTriggerCalls {
  private readonly state: MapState<[string, number, number], unknown>;
  /** The window the trigger is called for: one context object serves every call (as Flink's does). */
  private window: WindowId = [0, 0];
  private lastId: WindowId | undefined;
  private lastWindow: TimeWindow = { start: 0, end: 0 };
  private readonly ctx: OnMergeContext;

  constructor(
    private readonly trigger: Trigger,
    backend: KeyedStateBackend,
    timers: InternalTimerService<WindowId>,
  ) {
    this.state = backend.getMapState(
      new MapStateDescriptor<[string, number, number], unknown>('_trigger-state'),
    );
    this.ctx = {
      currentWatermark: () => timers.currentWatermark(),
      currentProcessingTime: () => timers.currentProcessingTime(),
      registerEventTimeTimer: (t) => timers.registerEventTimeTimer(this.window, t),
      registerProcessingTimeTimer: (t) => timers.registerProcessingTimeTimer(this.window, t),
      deleteEventTimeTimer: (t) => timers.deleteEventTimeTimer(this.window, t),
      deleteProcessingTimeTimer: (t) => timers.deleteProcessingTimeTimer(this.window, t),
      getPartitionedState: <T>(descriptor: ValueStateDescriptor<T>) =>
        this.valueState(descriptor, this.window),
      mergePartitionedState: () => {
        throw new InvalidJobError("mergePartitionedState is only available in a trigger's onMerge");
      },
    };
  }

  onElement(element: unknown, timestamp: number, id: WindowId): TriggerResult {
    const window = this.windowFor(id);
    return checkTriggerResult(
      this.trigger.onElement(element, timestamp, window, this.context(id)),
      'onElement',
    );
  }

  /** The window of `id`, the last one kept: a window's records follow each other. */
  private windowFor(id: WindowId): TimeWindow {
    if (id !== this.lastId) {
      this.lastId = id;
      this.lastWindow = windowOf(id);
    }
    return this.lastWindow;
  }

  onTimer(time: number, id: WindowId, eventTime: boolean): TriggerResult {
    const ctx = this.context(id);
    const window = windowOf(id);
    return eventTime
      ? checkTriggerResult(this.trigger.onEventTime(time, window, ctx), 'onEventTime')
      : checkTriggerResult(this.trigger.onProcessingTime(time, window, ctx), 'onProcessingTime');
  }

  clear(id: WindowId): void {
    this.trigger.clear(windowOf(id), this.context(id));
  }

  /** `merged` were merged into `into`: the trigger may combine their state and registers its timers. */
  onMerge(into: WindowId, merged: readonly WindowId[]): void {
    const ctx: OnMergeContext = {
      ...this.context(into),
      mergePartitionedState: <T>(descriptor: ValueStateDescriptor<T>, merge: (a: T, b: T) => T) => {
        let value = this.valueOf<T>(descriptor.name, into);
        for (const m of merged) {
          const other = this.valueOf<T>(descriptor.name, m);
          if (other !== undefined) value = value === undefined ? other : merge(value, other);
        }
        if (value !== undefined) this.state.put([descriptor.name, into[0], into[1]], value);
      },
    };
    this.trigger.onMerge?.(windowOf(into), ctx);
  }

  private valueOf<T>(name: string, id: WindowId): T | undefined {
    return this.state.get([name, id[0], id[1]]) as T | undefined;
  }

  private context(id: WindowId): OnMergeContext {
    this.window = id;
    return this.ctx;
  }

  private valueState<T>(descriptor: ValueStateDescriptor<T>, id: WindowId): ValueState<T> {
    const key: [string, number, number] = [descriptor.name, id[0], id[1]];
    return {
      value: () => {
        const v = this.state.get(key) as T | undefined;
        return v !== undefined
          ? v
          : descriptor.defaultValue === undefined
            ? undefined
            : structuredClone(descriptor.defaultValue);
      },
      update: (v) => this.state.put(key, v),
      clear: () => this.state.remove(key),
    };
  }
}
