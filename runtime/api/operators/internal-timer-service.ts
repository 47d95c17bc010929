import { keyGroupForKey, serializeKey } from '../../graph/key-groups';
import type { KeyedStateBackend } from '../../state/keyed-state-backend';
import { MapStateDescriptor, TIMER_STATE_PREFIX } from '../../state/state-descriptors';
import type { MapState } from '../../state/state-types';
import { NO_WATERMARK } from '../event-time/watermark-strategy';
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
 * keyed state: each lives in the keyed backend under a key of its key group (a hidden key that
 * falls into that group), so snapshots hold them by key group and a restore -- at any
 * parallelism -- gives a subtask exactly the timers of its keys. In memory a queue per domain,
 * ordered by time, finds due timers; it is rebuilt from the backend after a restore. One timer
 * per (time, key, namespace): registering it again changes nothing.
 */
export class InternalTimerService<N> {
  private readonly eventTime: TimerQueue<N>;
  private readonly processingTime: TimerQueue<N>;
  private watermark = NO_WATERMARK;
  private cancelWakeUp: (() => void) | undefined;
  private wakeUpAt = Number.POSITIVE_INFINITY;
  /** The hidden key of each key group. */
  private readonly groupKeys: KeyGroupKeys;

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
  }

  currentWatermark(): number {
    return this.watermark;
  }

  currentProcessingTime(): number {
    return this.time.now();
  }

  registerEventTimeTimer(namespace: N, timestamp: number): void {
    this.inGroupOfCurrentKey((key) => this.eventTime.add({ timestamp, key, namespace }));
  }

  deleteEventTimeTimer(namespace: N, timestamp: number): void {
    this.inGroupOfCurrentKey((key) => this.eventTime.remove({ timestamp, key, namespace }));
  }

  registerProcessingTimeTimer(namespace: N, timestamp: number): void {
    this.inGroupOfCurrentKey((key) => this.processingTime.add({ timestamp, key, namespace }));
    this.scheduleWakeUp();
  }

  deleteProcessingTimeTimer(namespace: N, timestamp: number): void {
    this.inGroupOfCurrentKey((key) => this.processingTime.remove({ timestamp, key, namespace }));
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
      this.backend.setCurrentKey(this.groupKey(group));
      this.eventTime.load();
      this.processingTime.load();
    }
    this.scheduleWakeUp();
  }

  close(): void {
    this.cancelWakeUp?.();
    this.cancelWakeUp = undefined;
  }

  private fireDue(queue: TimerQueue<N>, upTo: number, callback: TimerCallback<N>): void {
    for (let timer = queue.peek(); timer && timer.timestamp <= upTo; timer = queue.peek()) {
      this.backend.setCurrentKey(this.groupKey(keyGroupForKey(timer.key, this.backend.maxParallelism)));
      queue.remove(timer);
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

  /** Runs `fn` with the backend switched to the hidden key of the current key's group, then back. */
  private inGroupOfCurrentKey(fn: (key: unknown) => void): void {
    const key = this.backend.getCurrentKey();
    this.backend.setCurrentKey(this.groupKey(this.backend.getCurrentKeyGroup()));
    try {
      fn(key);
    } finally {
      this.backend.setCurrentKey(key);
    }
  }

  private groupKey(group: number): unknown {
    return this.groupKeys.of(group);
  }
}

/**
 * Timers of one time domain: the backend's map state (of the current hidden key) is the
 * durable copy; a binary heap by time, with an index for removal and de-duplication, the
 * in-memory one.
 */
class TimerQueue<N> {
  private readonly heap: Timer<N>[] = [];
  private readonly live = new Map<string, Timer<N>>();

  constructor(private readonly state: MapState<TimerKey, true>) {}

  peek(): Timer<N> | undefined {
    while (this.heap.length > 0 && !this.live.has(idOf(this.heap[0]!))) this.pop();
    return this.heap[0];
  }

  /** Adds the timer; the backend's current key must be its group's hidden key. */
  add(timer: Timer<N>): void {
    const id = idOf(timer);
    if (this.live.has(id)) return;
    this.live.set(id, timer);
    this.push(timer);
    this.state.put([timer.timestamp, timer.key, timer.namespace], true);
  }

  /** Removes the timer (lazily from the heap); the backend's current key must be its group's hidden key. */
  remove(timer: Timer<N>): void {
    if (!this.live.delete(idOf(timer))) return;
    this.state.remove([timer.timestamp, timer.key, timer.namespace]);
  }

  /** Adds the timers stored under the current hidden key. */
  load(): void {
    for (const [timestamp, key, namespace] of this.state.keys()) {
      const timer: Timer<N> = { timestamp, key, namespace: namespace as N };
      const id = idOf(timer);
      if (this.live.has(id)) continue;
      this.live.set(id, timer);
      this.push(timer);
    }
  }

  private push(timer: Timer<N>): void {
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

function idOf(timer: Timer<unknown>): string {
  return serializeKey([timer.timestamp, timer.key, timer.namespace]).toString('latin1');
}
