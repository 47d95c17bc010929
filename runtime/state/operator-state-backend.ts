import { InvalidJobError } from '../errors';
import { HeapBroadcastState } from './broadcast-state';
import type { StateSnapshot } from './keyed-state-backend';
import type { OperatorSnapshotContent, OperatorStateMode } from './snapshot-format';
import { decodeOperatorState, encodeOperatorSnapshot } from './snapshot-format';
import type { ListStateDescriptor, MapStateDescriptor } from './state-descriptors';
import type { BroadcastState, ListState, OperatorStateStore } from './state-types';

/**
 * Non-keyed state of one operator in one subtask (Flink's OperatorStateBackend): named list
 * states and broadcast maps, kept on the heap (sources' offsets, sinks' pending commits and
 * broadcast rules are small). Each state has a mode that says how a restore redistributes it
 * when the parallelism changed: `split` lists of all old subtasks are concatenated and split
 * evenly (no element lost or duplicated), every subtask gets all elements of a `union` list,
 * and every subtask gets one old subtask's copy of a `broadcast` map.
 */
export class OperatorStateBackend implements OperatorStateStore {
  private readonly lists = new Map<string, unknown[]>();
  private readonly modes = new Map<string, Exclude<OperatorStateMode, 'split'>>();
  private readonly broadcasts = new Map<string, HeapBroadcastState<unknown, unknown>>();
  private readonly registrations: { readonly name: string; readonly mode: OperatorStateMode }[] = [];

  constructor(private readonly operatorName: string) {}

  getListState<T>(descriptor: ListStateDescriptor<T> | string): ListState<T> {
    return this.list(this.register(descriptor, 'split', 'operator list state'));
  }

  getUnionListState<T>(descriptor: ListStateDescriptor<T> | string): ListState<T> {
    return this.list(this.register(descriptor, 'union', 'union list state'));
  }

  getBroadcastState<K, V>(descriptor: MapStateDescriptor<K, V>): BroadcastState<K, V> {
    const name = this.register(descriptor, 'broadcast', 'broadcast state');
    let state = this.broadcasts.get(name);
    if (!state) {
      state = new HeapBroadcastState(name);
      state.putAll((this.lists.get(name) ?? []) as [unknown, unknown][]);
      this.lists.delete(name);
      this.broadcasts.set(name, state);
    }
    return state as BroadcastState<K, V>;
  }

  /**
   * The states the operator registered (not those only restored), each name and mode once, in
   * order; a request of another mode than the state's is listed too (it threw).
   */
  registeredStates(): readonly { readonly name: string; readonly mode: OperatorStateMode }[] {
    return this.registrations;
  }

  /** Names of the states registered or restored. */
  stateNames(): string[] {
    return [...new Set([...this.lists.keys(), ...this.broadcasts.keys()])];
  }

  snapshot(checkpointId: number): StateSnapshot {
    // Synchronous part: a copy of each list and broadcast map; encoding happens in the asynchronous part.
    let captured: [string, unknown[]][] | undefined = this.stateNames().map((name) => [
      name,
      this.broadcasts.get(name)?.entries() ?? this.lists.get(name)!.slice(),
    ]);
    const modes = [...this.modes];
    return {
      checkpointId,
      materialize: () => {
        if (!captured) return Promise.reject(new Error(`snapshot ${checkpointId} was released`));
        const bytes = encodeOperatorSnapshot(captured, modes);
        captured = undefined;
        return Promise.resolve(bytes);
      },
      release: () => void (captured = undefined),
    };
  }

  /**
   * Restores this subtask's share of the snapshots of every old subtask (in subtask order),
   * each state by its mode. Same parallelism: each subtask gets its own split lists and
   * broadcast maps back; union lists are always the concatenation of all.
   */
  restore(snapshots: readonly Uint8Array[], subtaskIndex: number, parallelism: number): void {
    const decoded = snapshots.map(decodeOperatorState);
    const sameParallelism = decoded.length === parallelism;
    for (const name of new Set(decoded.flatMap((content) => content.lists.map(([n]) => n)))) {
      const mode = decoded.find((content) => content.lists.some(([n]) => n === name))!.modes.get(name);
      if (mode) this.modes.set(name, mode);
      if (mode === 'union')
        this.lists.set(
          name,
          decoded.flatMap((content) => elementsOf(content, name)),
        );
      else if (mode === 'broadcast' || sameParallelism)
        // Every copy of a broadcast map is the same; subtask i reads old subtask i's (Flink's rule).
        this.lists.set(name, elementsOf(decoded[subtaskIndex % decoded.length]!, name));
      else {
        const all = decoded.flatMap((content) => elementsOf(content, name));
        this.lists.set(name, splitDistribute(all, parallelism)[subtaskIndex] ?? []);
      }
    }
  }

  /** Checks the name and that a restored or registered state of that name has the same mode. */
  private register(
    descriptor: ListStateDescriptor<unknown> | MapStateDescriptor<unknown, unknown> | string,
    mode: OperatorStateMode,
    what: string,
  ): string {
    const name = typeof descriptor === 'string' ? descriptor : descriptor?.name;
    if (typeof name !== 'string' || name.length === 0)
      throw new InvalidJobError(`operator '${this.operatorName}': ${what} needs a name`);
    if (!this.registrations.some((r) => r.name === name && r.mode === mode))
      this.registrations.push({ name, mode });
    const known = this.lists.has(name) || this.broadcasts.has(name);
    const current = this.modes.get(name) ?? 'split';
    if (known && current !== mode)
      throw new InvalidJobError(
        `operator '${this.operatorName}': state '${name}' is ${MODE_NAMES[current]}, not ${what}`,
      );
    if (mode !== 'split') this.modes.set(name, mode);
    if (mode !== 'broadcast' && !this.lists.has(name)) this.lists.set(name, []);
    return name;
  }

  private list<T>(name: string): ListState<T> {
    const list = (): T[] => this.lists.get(name) as T[];
    return {
      get: () => list().slice(),
      add: (value) => void list().push(value),
      addAll: (values) => void list().push(...values),
      update: (values) => void this.lists.set(name, [...values]),
      clear: () => void this.lists.set(name, []),
    };
  }
}

const MODE_NAMES: Record<OperatorStateMode, string> = {
  split: 'an operator list state',
  union: 'a union list state',
  broadcast: 'a broadcast state',
};

function elementsOf(content: OperatorSnapshotContent, name: string): unknown[] {
  return content.lists.find(([n]) => n === name)?.[1] ?? [];
}

/** Splits `elements` into `parallelism` contiguous parts whose sizes differ by at most one. */
export function splitDistribute<T>(elements: readonly T[], parallelism: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < parallelism; i++) {
    const from = Math.floor((i * elements.length) / parallelism);
    const to = Math.floor(((i + 1) * elements.length) / parallelism);
    parts.push(elements.slice(from, to));
  }
  return parts;
}
