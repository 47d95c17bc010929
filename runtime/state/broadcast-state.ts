import { InvalidJobError } from '../errors';
import { KeyMap, normalizeKey } from './heap/key-map';
import { sortByUserKey } from './key-bytes';
import type { BroadcastState, ReadOnlyBroadcastState } from './state-types';

/**
 * One broadcast state of one subtask, on the heap whatever the keyed backend (Flink keeps
 * broadcast state in memory too: it is meant to be small, e.g. rules or thresholds). User keys
 * are matched by content, like map state's.
 */
export class HeapBroadcastState<K, V> implements BroadcastState<K, V> {
  private map = new KeyMap<[K, V]>();
  private view: ReadOnlyBroadcastState<K, V> | undefined;

  constructor(readonly name: string) {}

  get(key: K): V | undefined {
    const u = normalizeKey(key);
    return this.map.get(u.norm, u.isObject)?.[1];
  }

  contains(key: K): boolean {
    const u = normalizeKey(key);
    return this.map.get(u.norm, u.isObject) !== undefined;
  }

  entries(): [K, V][] {
    return sortByUserKey([...this.map.values()]) as [K, V][];
  }

  keys(): K[] {
    return this.entries().map(([k]) => k);
  }

  values(): V[] {
    return this.entries().map(([, v]) => v);
  }

  isEmpty(): boolean {
    return this.map.size === 0;
  }

  put(key: K, value: V): void {
    if (key === undefined)
      throw new InvalidJobError(`broadcast state '${this.name}': a key cannot be undefined`);
    const u = normalizeKey(key);
    this.map.set(u.norm, u.isObject, [key, value]);
  }

  putAll(entries: Iterable<readonly [K, V]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }

  remove(key: K): void {
    const u = normalizeKey(key);
    this.map.delete(u.norm, u.isObject);
  }

  clear(): void {
    this.map = new KeyMap();
  }

  /** The view `processElement` gets: reads pass through, any change throws. */
  readOnly(): ReadOnlyBroadcastState<K, V> {
    return (this.view ??= this.readOnlyView());
  }

  private readOnlyView(): ReadOnlyBroadcastState<K, V> {
    const refuse = (method: string) => (): never => {
      throw new InvalidJobError(
        `broadcast state '${this.name}' is read-only in processElement (${method} called); ` +
          'change it in processBroadcastElement, so that every subtask holds the same state',
      );
    };
    const view: ReadOnlyBroadcastState<K, V> & Record<string, unknown> = {
      get: (key) => this.get(key),
      contains: (key) => this.contains(key),
      entries: () => this.entries(),
      keys: () => this.keys(),
      values: () => this.values(),
      isEmpty: () => this.isEmpty(),
    };
    for (const method of ['put', 'putAll', 'remove', 'clear']) view[method] = refuse(method);
    return Object.freeze(view);
  }
}
