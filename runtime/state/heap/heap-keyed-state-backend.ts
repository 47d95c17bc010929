import type { ValueState } from '../../api/functions';
import type { KeyedStateBackendAccess } from '../../api/operators/stream-operator';
import { canonicalJson } from '../../graph/graph-hash';
import type { KeyGroupRange } from '../../graph/key-groups';
import { keyGroupForKey } from '../../graph/key-groups';
import { InvalidJobError } from '../../errors';

/** Map key for a state key: primitives as they are (Map tells 1 from '1'), others as JSON. */
type MapKey = string | number | boolean | bigint;

/**
 * Keyed state on the heap, organised by key group (state name -> key group -> key -> value),
 * so a snapshot can be split by key group and restored at another parallelism.
 */
export class HeapKeyedStateBackend implements KeyedStateBackendAccess {
  private readonly states = new Map<string, Map<number, Map<MapKey, unknown>>>();
  private currentKey: unknown;
  private currentMapKey: MapKey = '';
  private currentKeyGroup = 0;

  constructor(
    private readonly maxParallelism: number,
    private readonly keyGroups: KeyGroupRange,
    private readonly operatorName: string,
  ) {}

  setCurrentKey(key: unknown): void {
    if (key === undefined || key === null) {
      throw new InvalidJobError(`operator '${this.operatorName}': the key selector returned ${String(key)}`);
    }
    this.currentKey = key;
    this.currentMapKey = typeof key === 'object' ? canonicalJson(key) : (key as MapKey);
    this.currentKeyGroup = keyGroupForKey(key, this.maxParallelism);
    if (this.currentKeyGroup < this.keyGroups.start || this.currentKeyGroup > this.keyGroups.end) {
      throw new Error(
        `key group ${this.currentKeyGroup} of key ${JSON.stringify(key)} is outside this subtask's range ` +
          `${this.keyGroups.start}..${this.keyGroups.end}: the input was not partitioned by this key`,
      );
    }
  }

  getCurrentKey(): unknown {
    return this.currentKey;
  }

  getState<T>(name: string): ValueState<T> {
    let byGroup = this.states.get(name);
    if (!byGroup) {
      byGroup = new Map();
      this.states.set(name, byGroup);
    }
    const groups = byGroup;
    return {
      value: () => groups.get(this.currentKeyGroup)?.get(this.currentMapKey) as T | undefined,
      update: (value: T) => {
        let keys = groups.get(this.currentKeyGroup);
        if (!keys) {
          keys = new Map();
          groups.set(this.currentKeyGroup, keys);
        }
        keys.set(this.currentMapKey, value);
      },
      clear: () => void groups.get(this.currentKeyGroup)?.delete(this.currentMapKey),
    };
  }

  /** Number of keys with a value in any state (for metrics and tests). */
  countKeys(): number {
    const keys = new Set<MapKey>();
    for (const byGroup of this.states.values()) for (const m of byGroup.values()) for (const k of m.keys()) keys.add(k);
    return keys.size;
  }
}
