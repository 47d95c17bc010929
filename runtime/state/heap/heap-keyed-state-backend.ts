import type { ValueState } from '../../api/functions';
import type { KeyedStateBackendAccess } from '../../api/operators/stream-operator';
import { InvalidJobError } from '../../errors';
import { canonicalJson } from '../../graph/graph-hash';
import type { KeyGroupRange } from '../../graph/key-groups';
import { keyGroupForKey } from '../../graph/key-groups';

/** Map key for a state key: primitives as they are (a Map tells 1 from '1'), others as canonical JSON. */
type MapKey = string | number | boolean | bigint;

/** One key's state entries in one key group, as a snapshot sees them. */
export interface KeyedStateEntry {
  readonly key: unknown;
  readonly state: string;
  readonly value: unknown;
}

/**
 * Keyed state on the heap: one map per state name from key to value. Record processing
 * touches one map lookup per access; the key group of a key — how state is organised in
 * snapshots and redistributed on rescaling — is computed when a snapshot groups the keys,
 * not on every record.
 */
export class HeapKeyedStateBackend implements KeyedStateBackendAccess {
  private readonly states = new Map<string, Map<MapKey, unknown>>();
  /** Original keys of non-primitive keys (the map holds their canonical JSON). */
  private readonly objectKeys = new Map<string, unknown>();
  private currentKey: unknown;
  private currentMapKey: MapKey = '';

  constructor(
    private readonly maxParallelism: number,
    readonly keyGroups: KeyGroupRange,
    private readonly operatorName: string,
  ) {}

  setCurrentKey(key: unknown): void {
    if (typeof key === 'object' || typeof key === 'function' || key === undefined) {
      if (key === null || key === undefined || typeof key === 'function') {
        throw new InvalidJobError(
          `operator '${this.operatorName}': the key selector returned ${String(key)}`,
        );
      }
      const json = canonicalJson(key);
      if (!this.objectKeys.has(json)) this.objectKeys.set(json, key);
      this.currentMapKey = json;
    } else {
      this.currentMapKey = key as MapKey;
    }
    this.currentKey = key;
  }

  getCurrentKey(): unknown {
    return this.currentKey;
  }

  getState<T>(name: string): ValueState<T> {
    let values = this.states.get(name);
    if (!values) {
      values = new Map();
      this.states.set(name, values);
    }
    const map = values;
    return {
      value: () => map.get(this.currentMapKey) as T | undefined,
      update: (value: T) => void map.set(this.currentMapKey, value),
      clear: () => void map.delete(this.currentMapKey),
    };
  }

  /** Every entry grouped by key group, for snapshots. */
  entriesByKeyGroup(): Map<number, KeyedStateEntry[]> {
    const groups = new Map<number, KeyedStateEntry[]>();
    for (const [state, values] of this.states) {
      for (const [mapKey, value] of values) {
        const key =
          typeof mapKey === 'string' && this.objectKeys.has(mapKey) ? this.objectKeys.get(mapKey) : mapKey;
        const group = keyGroupForKey(key, this.maxParallelism);
        if (!groups.has(group)) groups.set(group, []);
        groups.get(group)!.push({ key, state, value });
      }
    }
    return groups;
  }

  /** Number of keys with a value in any state (for metrics and tests). */
  countKeys(): number {
    const keys = new Set<MapKey>();
    for (const values of this.states.values()) for (const k of values.keys()) keys.add(k);
    return keys.size;
  }
}
