import { serializeKey } from '../../graph/key-groups';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import { MapStateDescriptor, TIMER_STATE_PREFIX } from '../../state/state-descriptors';
import type { MapState } from '../../state/state-types';
import { NO_WATERMARK } from '../event-time/watermark-strategy';
import { RecentSpellings } from '../../util/recent-spellings';
import { KeyGroupKeys } from './key-group-keys';
import type { ProcessingTimeService } from './stream-operator';

/** A timer: a time, the key it was registered for, and a namespace (a window, or null). */
export interface Timer<N> {
  readonly timestamp: number;
  readonly key: unknown;
  readonly namespace: N;
}

type TimerKey = [timestamp: number, key: unknown, namespace: unknown];

/** Called for a due timer, with the backend's current key set to the timer's key. */
export type TimerCallback<N> = (timer: Timer<N>) => void;

/**
 * Timers of one keyed operator in both time domains (Flink's InternalTimerService). Timers are
 * keyed state: each is stored in the keyed backend under a key of its key group (a hidden key
 * that falls into that group), so snapshots hold them by key group and a restore -- at any
 * parallelism -- gives a subtask exactly the timers of its keys. Between snapshots they live in
 * memory only (a queue per domain, ordered by time, as Flink's heap timers do): registering,
 * deleting and firing touch no state, and the changes since the last snapshot are written to
 * the backend when the next one starts (`beforeSnapshot`). After a restore the queues are
 * rebuilt from the backend. One timer per (time, key, namespace): registering it again
 * changes nothing.
 */
export class InternalTimerService<N> {
  private readonly eventTime: TimerQueue<N>;
  private readonly processingTime: TimerQueue<N>;
  private watermark = NO_WATERMARK;
  private cancelWakeUp: (() => void) | undefined;
  private wakeUpAt = Number.POSITIVE_INFINITY;
  /** The hidden key of each key group. */
  private readonly groupKeys: KeyGroupKeys;
  private readonly ids = new TimerIds();

  constructor(
    name: string,
    private readonly backend: KeyedStateBackend,
    private readonly time: ProcessingTimeService,
    private readonly onEventTime: TimerCallback<N>,
    private readonly onProcessingTime: TimerCallback<N>,
  ) {
    const state = (domain: string) =>
      backend.getMapState(new MapStateDescriptor<TimerKey, true>(`${TIMER_STATE_PREFIX}${name}/${domain}`));
    this.groupKeys = new KeyGroupKeys('timers', backend.maxParallelism);
    this.eventTime = new TimerQueue(state('event'));
    this.processingTime = new TimerQueue(state('processing'));
    backend.beforeSnapshot(() => {
      this.eventTime.store((group) => this.backend.setCurrentKey(this.groupKeys.of(group)));
      this.processingTime.store((group) => this.backend.setCurrentKey(this.groupKeys.of(group)));
    });
  }

  currentWatermark(): number {
    return this.watermark;
  }

  currentProcessingTime(): number {
    return this.time.now();
  }

  registerEventTimeTimer(namespace: N, timestamp: number): void {
    const key = this.backend.getCurrentKey();
    this.eventTime.add(
      this.ids.of(timestamp, key, namespace),
      timestamp,
      key,
      namespace,
      this.backend.getCurrentKeyGroup(),
    );
  }

  deleteEventTimeTimer(namespace: N, timestamp: number): void {
    this.eventTime.remove(this.ids.of(timestamp, this.backend.getCurrentKey(), namespace));
  }

  registerProcessingTimeTimer(namespace: N, timestamp: number): void {
    const key = this.backend.getCurrentKey();
    const id = this.ids.of(timestamp, key, namespace);
    this.processingTime.add(id, timestamp, key, namespace, this.backend.getCurrentKeyGroup());
    this.scheduleWakeUp();
  }

  deleteProcessingTimeTimer(namespace: N, timestamp: number): void {
    this.processingTime.remove(this.ids.of(timestamp, this.backend.getCurrentKey(), namespace));
  }

  /** Fires every event-time timer at or before `watermark`, in time order. */
  advanceWatermark(watermark: number): void {
    this.watermark = watermark;
    this.fireDue(this.eventTime, watermark, this.onEventTime);
  }

  /** After a restore: loads the timers of this subtask's key groups into the queues. */
  restoreTimers(): void {
    const { start, end } = this.backend.keyGroupRange;
    for (let group = start; group <= end; group++) {
      this.backend.setCurrentKey(this.groupKeys.of(group));
      this.eventTime.load(group);
      this.processingTime.load(group);
    }
    this.scheduleWakeUp();
  }

  close(): void {
    this.cancelWakeUp?.();
    this.cancelWakeUp = undefined;
  }

  private fireDue(queue: TimerQueue<N>, upTo: number, callback: TimerCallback<N>): void {
    for (let timer = queue.peek(); timer && timer.timestamp <= upTo; timer = queue.peek()) {
      queue.remove(timer.id);
      this.backend.setCurrentKey(timer.key);
      callback(timer);
    }
  }

  private scheduleWakeUp(): void {
    const next = this.processingTime.peek();
    if (!next || next.timestamp >= this.wakeUpAt) return;
    this.cancelWakeUp?.();
    this.wakeUpAt = next.timestamp;
    this.cancelWakeUp = this.time.schedule(next.timestamp, (now) => {
      this.wakeUpAt = Number.POSITIVE_INFINITY;
      this.cancelWakeUp = undefined;
      this.fireDue(this.processingTime, Math.max(now, this.time.now()), this.onProcessingTime);
      this.scheduleWakeUp();
    });
  }
}

/** A timer in a queue: with its key group (where it is stored) and its identity. */
interface QueuedTimer<N> extends Timer<N> {
  readonly keyGroup: number;
  readonly id: string;
}

/** A timer added or removed since the last snapshot, and whether the backend holds it. */
interface TimerChange<N> {
  timer: QueuedTimer<N>;
  readonly stored: boolean;
}

/**
 * Timers of one time domain: a binary heap by time, with an index by identity for removal
 * and de-duplication (removal is lazy: a heap entry no longer in the index is skipped), and
 * the changes not yet written to the backend's map state (the durable copy).
 */
class TimerQueue<N> {
  private readonly heap: QueuedTimer<N>[] = [];
  private readonly live = new Map<string, QueuedTimer<N>>();
  private readonly changes = new Map<string, TimerChange<N>>();

  constructor(private readonly state: MapState<TimerKey, true>) {}

  peek(): QueuedTimer<N> | undefined {
    while (this.heap.length > 0 && this.live.get(this.heap[0]!.id) !== this.heap[0]) this.pop();
    return this.heap[0];
  }

  add(id: string, timestamp: number, key: unknown, namespace: N, keyGroup: number): void {
    if (this.live.has(id)) return;
    const timer: QueuedTimer<N> = { timestamp, key, namespace, keyGroup, id };
    this.live.set(id, timer);
    this.push(timer);
    const change = this.changes.get(id);
    if (change === undefined) this.changes.set(id, { timer, stored: false });
    // Removed since the last snapshot and added again: the backend holds it as it is.
    else if (change.stored) this.changes.delete(id);
    else change.timer = timer;
  }

  remove(id: string): void {
    const timer = this.live.get(id);
    if (!timer) return;
    this.live.delete(id);
    const change = this.changes.get(id);
    if (change === undefined) this.changes.set(id, { timer, stored: true });
    // Added since the last snapshot: the backend never had it. Timers that come and go between
    // snapshots (a session's end moving with each record) leave nothing behind.
    else if (!change.stored) this.changes.delete(id);
  }

  /** Writes the changes since the last call to the backend; `enterGroup` switches to a group's hidden key. */
  store(enterGroup: (keyGroup: number) => void): void {
    for (const [id, { timer, stored }] of this.changes) {
      const isLive = this.live.has(id);
      if (isLive === stored) continue;
      enterGroup(timer.keyGroup);
      const entry: TimerKey = [timer.timestamp, timer.key, timer.namespace];
      if (isLive) this.state.put(entry, true);
      else this.state.remove(entry);
    }
    this.changes.clear();
  }

  /** Adds the timers stored under the current hidden key, that of `keyGroup`. */
  load(keyGroup: number): void {
    for (const [timestamp, key, namespace] of this.state.keys()) {
      const id = timerId(timestamp, key, namespace);
      if (this.live.has(id)) continue;
      const timer: QueuedTimer<N> = { timestamp, key, namespace: namespace as N, keyGroup, id };
      this.live.set(id, timer);
      this.push(timer);
    }
  }

  private push(timer: QueuedTimer<N>): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.timestamp <= timer.timestamp) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.timestamp < heap[left]!.timestamp ? right : left;
      if (heap[child]!.timestamp >= last.timestamp) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

/**
 * A timer's identity: equal for equal (time, key, namespace), where keys are equal as their
 * serialized forms are (the state backends' rule). Strings, numbers, null and windows
 * ([start, end]) are spelled out without serializing; each part is tagged, and a string part
 * carries its length, so no two timers share an id.
 */
function timerId(timestamp: number, key: unknown, namespace: unknown): string {
  return `${timestamp}|${idPart(key)}|${idPart(namespace)}`;
}

/** The id parts of recent frozen window ids, which a record's timers share. */
const recentWindows = new RecentSpellings();

function idPart(value: unknown): string {
  if (typeof value === 'number') return `n${value}`;
  if (typeof value === 'string') return `s${value.length}:${value}`;
  if (value === null) return 'z';
  if (!isWindow(value)) return `o${serializeKey(value).toString('latin1')}`;
  if (!Object.isFrozen(value)) return `w${value[0]},${value[1]}`;
  let part = recentWindows.get(value);
  if (part === undefined) recentWindows.set(value, (part = `w${value[0]},${value[1]}`));
  return part;
}

function isWindow(value: unknown): value is readonly [number, number] {
  return (
    Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number'
  );
}

/**
 * Timer ids, the last one remembered: a window operator names one timer several times for a
 * record (its trigger's timer, the cleanup timer at the same time, a merge moving both), and
 * each of those calls gets the id spelled once. Only for keys and namespaces that cannot
 * change in between (primitives and frozen window ids).
 */
class TimerIds {
  private timestamp = Number.NaN;
  private key: unknown;
  private namespace: unknown;
  private id = '';

  of(timestamp: number, key: unknown, namespace: unknown): string {
    if (timestamp === this.timestamp && key === this.key && namespace === this.namespace) return this.id;
    const id = timerId(timestamp, key, namespace);
    if (isImmutable(key) && isImmutable(namespace)) {
      this.timestamp = timestamp;
      this.key = key;
      this.namespace = namespace;
      this.id = id;
    }
    return id;
  }
}

/** Primitives and frozen window ids cannot change: what is derived from them can be kept. */
const isImmutable = (value: unknown): boolean =>
  typeof value !== 'object' || value === null || (isWindow(value) && Object.isFrozen(value));
