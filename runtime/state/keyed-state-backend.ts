import type { KeyGroupRange } from '../graph/key-groups';
import type { StateDescriptor } from './state-descriptors';
import type { KeyedStateStore } from './state-types';

/** Which keyed state backend a task uses (`state.backend`). */
export type StateBackendKind = 'heap' | 'kv';
export const STATE_BACKEND_KINDS: readonly StateBackendKind[] = ['heap', 'kv'];

/**
 * A snapshot whose synchronous part is done: what it captured no longer changes with the
 * state. The asynchronous part encodes it to bytes (which a checkpoint then uploads); records
 * may be processed between the two.
 */
export interface StateSnapshot {
  readonly checkpointId: number;
  /** Encodes the captured state (the snapshot format of `snapshot-format.ts`) and releases it. */
  materialize(): Promise<Uint8Array>;
  /** Releases what the synchronous part holds without encoding (an aborted checkpoint). */
  release(): void;
}

/**
 * The keyed state of one operator in one subtask (Flink's KeyedStateBackend): states
 * registered by name, scoped to the current key. `setCurrentKey` serializes the key once per
 * record and finds its key group; every state access for that record reuses both.
 */
export interface KeyedStateBackend extends KeyedStateStore {
  readonly kind: StateBackendKind;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  setCurrentKey(key: unknown): void;
  getCurrentKey(): unknown;
  getCurrentKeyGroup(): number;
  /**
   * Calls `fn` with each key that has a value in the state of `descriptor` (Flink's
   * `applyToAllKeys`), the backend's current key set to it, and the state: for changes to all
   * keys' state outside a record of theirs (a broadcast element). The keys are collected
   * first, so `fn` may change or clear the state. Leaves the current key at the last key.
   */
  applyToAllKeys<S>(descriptor: StateDescriptor, fn: (key: unknown, state: S) => void): void;
  /** The synchronous part of a snapshot of every registered state (after the `beforeSnapshot` hooks ran). */
  snapshot(checkpointId: number): StateSnapshot;
  /**
   * Registers a call that runs at the start of every snapshot: an operator that keeps state in
   * memory between snapshots (timers) writes it into the backend there. The call may change the
   * current key; the backend restores it afterwards.
   */
  beforeSnapshot(hook: () => void): void;
  /** Whether a state of this name is registered or came with restored snapshots. */
  hasState(name: string): boolean;
  /**
   * Loads the entries of this backend's key groups from snapshots of any backend (several
   * when the parallelism changed, each holding other key groups). Call before processing.
   */
  restore(snapshots: readonly Uint8Array[]): void;
  /** Frees the state; a kv backend removes its files. */
  dispose(): Promise<void>;
}

/** Storage of one registered value-like state (value, list, reducing, aggregating) for the current key. */
export interface ValueTable {
  get(): unknown;
  put(value: unknown): void;
  remove(): void;
}

/** Storage of one registered map state for the current key. */
export interface MapTable {
  get(userKey: unknown): unknown;
  put(userKey: unknown, value: unknown): void;
  remove(userKey: unknown): void;
  has(userKey: unknown): boolean;
  /** Ordered by the user key's serialized bytes. */
  entries(): [unknown, unknown][];
  isEmpty(): boolean;
  clear(): void;
}
