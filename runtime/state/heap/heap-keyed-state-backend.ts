import type { KeyGroupRange } from '../../graph/key-groups';
import { serializeKey } from '../../graph/key-groups';
import { AbstractKeyedStateBackend } from '../abstract-keyed-state-backend';
import type { MapTable, StateSnapshot, ValueTable } from '../keyed-state-backend';
import type { KeyedEntry } from '../snapshot-format';
import { KeyedSnapshotReader, KeyedSnapshotWriter } from '../snapshot-format';
import { decodeValue, encodeValue } from '../value-codec';
import { sortByUserKey } from '../key-bytes';
import { KeyMap, normalizeKey, normalizeUserKey } from './key-map';

/** One key's value in one state; the original key is kept for snapshots. */
interface HeapEntry {
  readonly key: unknown;
  value: unknown;
}

/** Map state's value on the heap: user key -> [user key, value]. */
type HeapMapValue = KeyMap<[unknown, unknown]>;

/** Slots per captured entry: key group, state id, key, value (not yet encoded), user key. */
const CAPTURED_STRIDE = 5;

/**
 * Per state: one map per key group of the range (index = key group - range start), and the
 * current key's entry once looked up. Functions read a state and then write it for the same
 * key (`value()` then `update()`, a reducing state's `add` then `get`): the lookup is done once
 * per key, not once per call.
 */
class StateTable {
  readonly groups: (KeyMap<HeapEntry> | undefined)[];
  /** The backend's `keyVersion` when `current` was looked up; -1: nothing looked up. */
  cachedFor = -1;
  current: HeapEntry | undefined;

  constructor(keyGroups: number) {
    this.groups = new Array<KeyMap<HeapEntry> | undefined>(keyGroups).fill(undefined);
  }
}

/**
 * Keyed state in hash maps on the task's heap (Flink's HeapKeyedStateBackend), organised by
 * key group like a snapshot, so snapshots and restores of a key-group range are direct.
 * Snapshots copy containers synchronously (copy-on-snapshot) and encode asynchronously.
 */
export class HeapKeyedStateBackend extends AbstractKeyedStateBackend {
  private readonly tables: StateTable[] = [];
  private key: unknown;
  private keyGroup = -1;
  private norm: unknown;
  private isObject = false;
  /** Changes with the current key: a state table's cached entry is for one version. */
  private keyVersion = 0;

  constructor(maxParallelism: number, keyGroupRange: KeyGroupRange, operatorName: string) {
    super('heap', maxParallelism, keyGroupRange, operatorName);
  }

  setCurrentKey(key: unknown): void {
    // The same primitive key again (a timer of the record's key, consecutive records): already set.
    if (key === this.key && key !== undefined && typeof key !== 'object') return;
    this.checkKey(key);
    const normalized = normalizeKey(key);
    const keyGroup = normalized.hash % this.maxParallelism;
    this.checkKeyGroup(key, keyGroup);
    this.keyVersion++;
    this.key = key;
    this.keyGroup = keyGroup;
    this.norm = normalized.norm;
    this.isObject = normalized.isObject;
  }

  getCurrentKey(): unknown {
    return this.key;
  }

  getCurrentKeyGroup(): number {
    return this.keyGroup;
  }

  /** Number of distinct keys with a value in any state (for metrics and tests). */
  countKeys(): number {
    const keys = new Set<string>();
    for (const table of this.tables)
      for (const group of table.groups)
        for (const e of group?.values() ?? []) keys.add(serializeKey(e.key).toString('latin1'));
    return keys.size;
  }

  protected valueTable(stateId: number): ValueTable {
    const table = this.table(stateId);
    return {
      get: () => this.entry(table)?.value,
      put: (value) => this.put(table, value),
      remove: () => this.removeEntry(table),
    };
  }

  protected mapTable(stateId: number): MapTable {
    const table = this.table(stateId);
    const map = (): HeapMapValue | undefined => this.entry(table)?.value as HeapMapValue | undefined;
    return {
      get: (userKey) => {
        const u = normalizeUserKey(userKey);
        return map()?.get(u.norm, u.isObject)?.[1];
      },
      put: (userKey, value) => {
        const u = normalizeUserKey(userKey);
        let m = map();
        if (!m) this.put(table, (m = new KeyMap()));
        m.set(u.norm, u.isObject, [userKey, value]);
      },
      remove: (userKey) => {
        const u = normalizeUserKey(userKey);
        const m = map();
        m?.delete(u.norm, u.isObject);
        if (m?.size === 0) this.removeEntry(table);
      },
      has: (userKey) => {
        const u = normalizeUserKey(userKey);
        return map()?.get(u.norm, u.isObject) !== undefined;
      },
      entries: () => sortByUserKey([...(map()?.values() ?? [])]),
      isEmpty: () => (map()?.size ?? 0) === 0,
      clear: () => this.removeEntry(table),
    };
  }

  protected keysOfState(stateId: number): unknown[] {
    return this.table(stateId).groups.flatMap((group) => [...(group?.values() ?? [])].map((e) => e.key));
  }

  snapshot(checkpointId: number): StateSnapshot {
    this.runSnapshotHooks();
    const metas = [...this.metas];
    // Synchronous part: copy every container, so later updates do not show in the snapshot.
    // Entries are captured flat, CAPTURED_STRIDE slots each (no object per entry: millions of them).
    const captured: unknown[] = [];
    const capture = (keyGroup: number, stateId: number, key: unknown, value: unknown, userKey: unknown) =>
      captured.push(keyGroup, stateId, key, Array.isArray(value) ? value.slice() : value, userKey);
    this.tables.forEach((table, stateId) => {
      table.groups.forEach((group, index) => {
        const keyGroup = this.keyGroupRange.start + index;
        group?.forEach(({ key, value }) => {
          if (value instanceof KeyMap)
            (value as HeapMapValue).forEach(([userKey, v]) => capture(keyGroup, stateId, key, v, userKey));
          else capture(keyGroup, stateId, key, value, undefined);
        });
      });
    });
    let released = false;
    return {
      checkpointId,
      materialize: () => {
        if (released) return Promise.reject(new Error(`snapshot ${checkpointId} was released`));
        const writer = new KeyedSnapshotWriter('heap', this.maxParallelism, this.keyGroupRange, metas);
        for (let i = 0; i < captured.length; i += CAPTURED_STRIDE) {
          const stateId = captured[i + 1] as number;
          const key = captured[i + 2];
          const bytes = encodeValue(captured[i + 3], metas[stateId]!.name);
          const userKey = captured[i + 4];
          const entry: KeyedEntry =
            userKey === undefined ? [stateId, key, bytes] : [stateId, key, bytes, userKey];
          writer.add(captured[i] as number, entry);
        }
        captured.length = 0;
        return Promise.resolve(writer.encode());
      },
      release: () => {
        released = true;
        captured.length = 0;
      },
    };
  }

  restore(snapshots: readonly Uint8Array[]): void {
    for (const bytes of snapshots) {
      const reader = KeyedSnapshotReader.read(bytes);
      this.checkMaxParallelism(reader.maxParallelism);
      const tables = reader.states.map((m) => {
        const id = this.stateId(m.name, m.kind);
        return m.kind === 'map' ? this.mapTable(id) : this.valueTable(id);
      });
      for (const [, [state, key, value, userKey]] of reader.entries(this.keyGroupRange)) {
        this.setCurrentKey(key);
        const table = tables[state]!;
        if ('has' in table) table.put(userKey, decodeValue(value));
        else table.put(decodeValue(value));
      }
    }
    this.key = undefined;
    this.keyVersion++;
  }

  dispose(): Promise<void> {
    this.tables.length = 0;
    return Promise.resolve();
  }

  private table(stateId: number): StateTable {
    let table = this.tables[stateId];
    if (!table)
      this.tables[stateId] = table = new StateTable(this.keyGroupRange.end - this.keyGroupRange.start + 1);
    return table;
  }

  private entry(table: StateTable): HeapEntry | undefined {
    if (table.cachedFor === this.keyVersion) return table.current;
    table.cachedFor = this.keyVersion;
    return (table.current = table.groups[this.keyGroup - this.keyGroupRange.start]?.get(
      this.norm,
      this.isObject,
    ));
  }

  private put(table: StateTable, value: unknown): void {
    const entry = this.entry(table);
    if (entry) {
      entry.value = value;
      return;
    }
    const created: HeapEntry = { key: this.key, value };
    const group = (table.groups[this.keyGroup - this.keyGroupRange.start] ??= new KeyMap());
    group.set(this.norm, this.isObject, created);
    table.current = created;
  }

  private removeEntry(table: StateTable): void {
    table.groups[this.keyGroup - this.keyGroupRange.start]?.delete(this.norm, this.isObject);
    table.cachedFor = this.keyVersion;
    table.current = undefined;
  }
}
