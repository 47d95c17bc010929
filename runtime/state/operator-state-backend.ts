import { InvalidJobError } from '../errors';
import type { StateSnapshot } from './keyed-state-backend';
import { decodeOperatorSnapshot, encodeOperatorSnapshot } from './snapshot-format';
import type { ListStateDescriptor } from './state-descriptors';
import type { ListState, OperatorStateStore } from './state-types';

/**
 * Non-keyed state of one operator in one subtask (Flink's OperatorStateBackend): named list
 * states, kept on the heap (sources' offsets and sinks' pending commits are small). On a
 * parallelism change the lists of all old subtasks are concatenated and split evenly
 * (Flink's split-distribute), so no element is lost or duplicated.
 */
export class OperatorStateBackend implements OperatorStateStore {
  private readonly lists = new Map<string, unknown[]>();

  constructor(private readonly operatorName: string) {}

  getListState<T>(descriptor: ListStateDescriptor<T> | string): ListState<T> {
    const name = typeof descriptor === 'string' ? descriptor : descriptor?.name;
    if (typeof name !== 'string' || name.length === 0)
      throw new InvalidJobError(`operator '${this.operatorName}': operator list state needs a name`);
    if (!this.lists.has(name)) this.lists.set(name, []);
    const list = (): T[] => this.lists.get(name) as T[];
    return {
      get: () => list().slice(),
      add: (value) => void list().push(value),
      addAll: (values) => void list().push(...values),
      update: (values) => void this.lists.set(name, [...values]),
      clear: () => void this.lists.set(name, []),
    };
  }

  /** Names of the list states registered or restored. */
  stateNames(): string[] {
    return [...this.lists.keys()];
  }

  snapshot(checkpointId: number): StateSnapshot {
    // Synchronous part: a copy of each list; encoding happens in the asynchronous part.
    let captured: [string, unknown[]][] | undefined = [...this.lists].map(([n, l]) => [n, l.slice()]);
    return {
      checkpointId,
      materialize: () => {
        if (!captured) return Promise.reject(new Error(`snapshot ${checkpointId} was released`));
        const bytes = encodeOperatorSnapshot(captured);
        captured = undefined;
        return Promise.resolve(bytes);
      },
      release: () => void (captured = undefined),
    };
  }

  /**
   * Restores this subtask's share of the snapshots of every old subtask (in subtask order).
   * Same parallelism: each subtask gets its own lists back; otherwise split-distribute.
   */
  restore(snapshots: readonly Uint8Array[], subtaskIndex: number, parallelism: number): void {
    const decoded = snapshots.map(decodeOperatorSnapshot);
    if (decoded.length === parallelism) {
      for (const [name, elements] of decoded[subtaskIndex] ?? []) this.lists.set(name, elements);
      return;
    }
    const names = new Set(decoded.flatMap((lists) => lists.map(([name]) => name)));
    for (const name of names) {
      const all = decoded.flatMap((lists) => lists.find(([n]) => n === name)?.[1] ?? []);
      this.lists.set(name, splitDistribute(all, parallelism)[subtaskIndex] ?? []);
    }
  }
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
