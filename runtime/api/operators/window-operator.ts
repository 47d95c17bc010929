import { InvalidJobError } from '../../errors';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import { MapStateDescriptor, ValueStateDescriptor } from '../../state/state-descriptors';
import type { MapState, ValueState } from '../../state/state-types';
import type { Collector, KeySelector } from '../functions';
import type { Trigger, TriggerResult } from '../windowing/triggers';
import { EventTimeTrigger, ProcessingTimeTrigger } from '../windowing/triggers';
import type { TimeWindow, WindowAssigner } from '../windowing/window-assigners';
import { maxTimestamp } from '../windowing/window-assigners';
import type { Timer } from './internal-timer-service';
import { FunctionLifecycle, runtimeContext } from './function-lifecycle';
import { InternalTimerService } from './internal-timer-service';
import type {
  OperatorContext,
  RecordTimestamp,
  SideOutput,
  StateInitializationContext,
} from './stream-operator';
import { StreamOperator } from './stream-operator';
import type { WindowId } from './window-trigger-context';
import { WindowIds, WindowTriggerCalls, idOf, windowOf } from './window-trigger-context';
import { mergeIntoSessions, sameWindow } from './window-merging';

/** The map state that held a key's sessions in snapshots taken before `_sessions` (one value) existed. */
const LEGACY_SESSIONS = '_windows';

/** What a window function sees when it emits, besides the contents. */
export interface EmitContext {
  readonly watermark: number;
  readonly side: SideOutput;
}

/** What a window holds and how it becomes output: a reduced value, an accumulator, or all elements. */
export interface WindowContents<ACC> {
  add(accumulator: ACC | undefined, value: unknown): ACC;
  /** Combines the contents of two windows that merge (session windows). */
  merge(a: ACC, b: ACC): ACC;
  emit(key: unknown, window: TimeWindow, accumulator: ACC, out: Collector<unknown>, ctx: EmitContext): void;
  /** The user's window function, opened and closed with the operator when it is a rich function. */
  readonly userFunction?: unknown;
}

export interface WindowSettings {
  readonly assigner: WindowAssigner;
  /** Undefined: the assigner's default (fires at the window's end in its time domain). */
  readonly trigger: Trigger | undefined;
  readonly allowedLatenessMs: number;
  /** OutputTag id that records too late for every window go to; undefined: they are dropped. */
  readonly lateDataTag: string | undefined;
}

/**
 * Keyed windows (Flink's WindowOperator). Each window's contents live in the keyed state
 * backend (a map per key from window to contents), as do the trigger's timers and state, so
 * all are checkpointed and restored by key group. A trigger decides when a window fires (by
 * default once the watermark, or the clock, passes its end). A window is cleaned up at its end
 * plus the allowed lateness; late records that still fit a window go through its trigger again
 * (the default fires it again). Records later than that go to the late-data side output, or are
 * dropped and counted. Session windows merge (contents, trigger state and timers) as records
 * bridge them; the live sessions of a key are one value in the backend too.
 */
export class WindowOperator<ACC> extends StreamOperator<unknown> {
  private backend!: KeyedStateBackend;
  private contents!: MapState<WindowId, ACC>;
  /**
   * Merging assigners only: the live windows of the key (a purged window keeps merging), one
   * value per key (Flink's MergingWindowSet), so a record reads one entry, not a scan.
   */
  private sessions!: ValueState<WindowId[]>;
  /** Sessions as snapshots before `_sessions` kept them (a map); moved over key by key. */
  private legacySessions: MapState<WindowId, true> | undefined;
  private timers!: InternalTimerService<WindowId>;
  private trigger!: WindowTriggerCalls;
  private timestamp!: RecordTimestamp;
  private now!: () => number;
  private restored = false;
  /** Non-merging assigners: one id per window for all its records and keys. */
  private readonly windowIds = new WindowIds();
  /** Records that fit no window any more and had no side output (Flink's numLateRecordsDropped). */
  lateRecordsDropped = 0;
  private readonly lifecycle: FunctionLifecycle;

  constructor(
    private readonly keySelector: KeySelector<unknown, unknown>,
    private readonly fn: WindowContents<ACC>,
    private readonly settings: WindowSettings,
  ) {
    super();
    this.lifecycle = new FunctionLifecycle([fn.userFunction]);
  }

  override initializeState(context: StateInitializationContext): void {
    this.restored = context.isRestored;
  }

  override async open(context: OperatorContext): Promise<void> {
    if (!context.keyedState)
      throw new InvalidJobError(`window operator '${context.operatorName}' needs a keyed input`);
    const { assigner, trigger } = this.settings;
    if (assigner.isMerging && trigger && !trigger.onMerge)
      throw new InvalidJobError(
        `operator '${context.operatorName}': a trigger of session windows needs onMerge`,
      );
    this.backend = context.keyedState;
    this.timestamp = context.recordTimestamp;
    this.now = () => context.processingTime.now();
    this.contents = this.backend.getMapState(new MapStateDescriptor<WindowId, ACC>('_window-contents'));
    this.sessions = this.backend.getState(new ValueStateDescriptor<WindowId[]>('_sessions'));
    if (this.backend.hasState(LEGACY_SESSIONS))
      this.legacySessions = this.backend.getMapState(new MapStateDescriptor<WindowId, true>(LEGACY_SESSIONS));
    this.timers = new InternalTimerService<WindowId>(
      'window',
      this.backend,
      context.processingTime,
      (t) => this.onTimer(t, true),
      (t) => this.onTimer(t, false),
    );
    const chosen =
      trigger ?? (assigner.isEventTime ? EventTimeTrigger.create() : ProcessingTimeTrigger.create());
    this.trigger = new WindowTriggerCalls(chosen, this.backend, this.timers);
    if (this.restored) this.timers.restoreTimers();
    await this.lifecycle.open(runtimeContext(context, this.backend));
  }

  processElement(record: unknown): void {
    const key = this.keySelector(record);
    this.backend.setCurrentKey(key);
    const { assigner, allowedLatenessMs } = this.settings;
    const time = assigner.isEventTime ? this.timestamp.value : this.now();
    if (time === undefined)
      throw new InvalidJobError(
        'an event-time window got a record without a timestamp: assign timestamps with a WatermarkStrategy first',
      );
    let taken = false;
    for (const assigned of assigner.assignWindows(time)) {
      let id: WindowId;
      let before: ACC | undefined;
      if (assigner.isMerging) {
        const session = this.mergeSession(idOf(assigned));
        if (session === undefined) continue;
        ({ id, contents: before } = session);
      } else {
        id = this.windowIds.of(assigned);
        if (this.isLate(id)) continue;
        before = this.contents.get(id);
      }
      taken = true;
      this.contents.put(id, this.fn.add(before, record));
      this.act(key, id, this.trigger.onElement(record, time, id));
      // A window with contents has its cleanup timer (only merging removes one before it fires).
      if (before === undefined || assigner.isMerging) this.registerCleanupTimer(id);
    }
    if (taken) return;
    // As Flink: only a late record is counted or side-output; one no window took otherwise
    // (an assigner that gave none) is dropped silently.
    const elementLate = assigner.isEventTime && time + allowedLatenessMs <= this.timers.currentWatermark();
    if (!elementLate) return;
    if (this.settings.lateDataTag !== undefined) this.sideOutput.emit(this.settings.lateDataTag, record);
    else this.lateRecordsDropped++;
  }

  override processWatermark(timestamp: number): void {
    this.timers.advanceWatermark(timestamp);
    super.processWatermark(timestamp);
  }

  override close(): Promise<void> {
    this.timers?.close();
    return this.lifecycle.close();
  }

  override dispose(): Promise<void> {
    this.timers?.close();
    return this.lifecycle.close();
  }

  /**
   * Adds a record's new session window to the key's sessions, merging those it overlaps or
   * touches; returns the session the record belongs to and its contents so far (the caller
   * writes them back with the record added), undefined when the session is already late.
   */
  private mergeSession(fresh: WindowId): { id: WindowId; contents: ACC | undefined } | undefined {
    const sessions = this.sessionsOfKey();
    const { into, merged } = mergeIntoSessions(fresh, sessions);
    if (merged.length === 0 && this.isLate(into)) return undefined;
    // Only live sessions have contents: a new session starts empty without a read.
    const existing = sessions.some((w) => sameWindow(w, into));
    let acc = existing ? this.contents.get(into) : undefined;
    if (merged.length > 0) {
      this.trigger.onMerge(into, merged);
      for (const m of merged) {
        const other = this.contents.get(m);
        if (other !== undefined) acc = acc === undefined ? other : this.fn.merge(acc, other);
        this.trigger.clear(m);
        this.deleteCleanupTimer(m);
        this.contents.remove(m);
      }
    }
    if (merged.length > 0 || !existing)
      this.sessions.update([...sessions.filter((w) => !merged.some((m) => sameWindow(m, w))), into]);
    if (!this.isLate(into)) return { id: into, contents: acc };
    // Merged into a session that is late already: it keeps the merged contents, not the record.
    if (merged.length > 0 && acc !== undefined) this.contents.put(into, acc);
    return undefined;
  }

  /**
   * Merging assigners: the current key's sessions. A key restored from a snapshot taken before
   * sessions were one value has them in the old map instead: they move over on first read.
   */
  private sessionsOfKey(): WindowId[] {
    const sessions = this.sessions.value();
    if (sessions !== undefined || !this.legacySessions || this.legacySessions.isEmpty())
      return sessions ?? [];
    const moved = this.legacySessions.keys();
    this.legacySessions.clear();
    this.sessions.update(moved);
    return moved;
  }

  /** Merging assigners: whether `id` is still one of the key's sessions. */
  private isSession(id: WindowId): boolean {
    return this.sessionsOfKey().some((w) => sameWindow(w, id));
  }

  /** Merging assigners: forgets the session `id` of the current key. */
  private removeSession(id: WindowId): void {
    const sessions = this.sessionsOfKey();
    const rest = sessions.filter((w) => !sameWindow(w, id));
    if (rest.length === sessions.length) return;
    if (rest.length > 0) this.sessions.update(rest);
    else this.sessions.clear();
  }

  private onTimer(timer: Timer<WindowId>, eventTime: boolean): void {
    const id = timer.namespace;
    if (this.settings.assigner.isMerging && !this.isSession(id)) return; // merged away
    this.act(timer.key, id, this.trigger.onTimer(timer.timestamp, id, eventTime));
    if (eventTime === this.settings.assigner.isEventTime && timer.timestamp === this.cleanupTime(id)) {
      this.contents.remove(id);
      if (this.settings.assigner.isMerging) this.removeSession(id);
      this.trigger.clear(id);
    }
  }

  private act(key: unknown, id: WindowId, result: TriggerResult): void {
    if (result === 'FIRE' || result === 'FIRE_AND_PURGE') this.fire(key, id);
    if (result === 'PURGE' || result === 'FIRE_AND_PURGE') this.contents.remove(id);
  }

  /** Event time: the window's end plus the allowed lateness; processing time: its end. */
  private cleanupTime(id: WindowId): number {
    const last = maxTimestamp(windowOf(id));
    return this.settings.assigner.isEventTime ? last + this.settings.allowedLatenessMs : last;
  }

  private isLate(id: WindowId): boolean {
    return this.settings.assigner.isEventTime && this.cleanupTime(id) <= this.timers.currentWatermark();
  }

  private registerCleanupTimer(id: WindowId): void {
    if (this.settings.assigner.isEventTime) this.timers.registerEventTimeTimer(id, this.cleanupTime(id));
    else this.timers.registerProcessingTimeTimer(id, this.cleanupTime(id));
  }

  private deleteCleanupTimer(id: WindowId): void {
    if (this.settings.assigner.isEventTime) this.timers.deleteEventTimeTimer(id, this.cleanupTime(id));
    else this.timers.deleteProcessingTimeTimer(id, this.cleanupTime(id));
  }

  private fire(key: unknown, id: WindowId): void {
    const accumulator = this.contents.get(id);
    if (accumulator === undefined) return;
    const window = windowOf(id);
    this.timestamp.value = maxTimestamp(window);
    const ctx: EmitContext = { watermark: this.timers.currentWatermark(), side: this.sideOutput };
    this.fn.emit(key, window, accumulator, this.output, ctx);
  }
}
