import { InvalidJobError, StateError } from '../errors';
import type { KeyGroupRange } from '../graph/key-groups';
import type {
  KeyedStateBackend,
  MapTable,
  StateBackendKind,
  StateSnapshot,
  ValueTable,
} from './keyed-state-backend';
import { aggregatingState, listState, mapState, reducingState, valueState } from './keyed-state-kinds';
import type { StateMeta } from './snapshot-format';
import type {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StateDescriptor,
  StateKind,
} from './state-descriptors';
import { ValueStateDescriptor } from './state-descriptors';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './state-types';

/**
 * What every keyed backend shares: the registry of states by name (a state id per name, the
 * same kind every time), the typed getters, and key checks. Backends supply the tables.
 */
export abstract class AbstractKeyedStateBackend implements KeyedStateBackend {
  /** Registered states; the index is the state id. */
  protected readonly metas: StateMeta[] = [];
  /** The state objects handed out, by name, with the kind they were asked for. */
  private readonly states = new Map<string, { readonly state: unknown; readonly kind: StateKind }>();
  /** What the operator asked for by descriptor (see `registeredStates`). */
  private readonly registrations: StateMeta[] = [];
  private readonly snapshotHooks: (() => void)[] = [];

  constructor(
    readonly kind: StateBackendKind,
    readonly maxParallelism: number,
    readonly keyGroupRange: KeyGroupRange,
    protected readonly operatorName: string,
  ) {}

  abstract setCurrentKey(key: unknown): void;
  abstract getCurrentKey(): unknown;
  abstract getCurrentKeyGroup(): number;
  abstract snapshot(checkpointId: number): StateSnapshot;
  abstract restore(snapshots: readonly Uint8Array[]): void;
  abstract dispose(): Promise<void>;
  protected abstract valueTable(stateId: number): ValueTable;
  protected abstract mapTable(stateId: number): MapTable;
  /** The keys with a value in state `stateId`, each once. */
  protected abstract keysOfState(stateId: number): unknown[];

  getState<T>(descriptor: ValueStateDescriptor<T> | string): ValueState<T> {
    const d = typeof descriptor === 'string' ? new ValueStateDescriptor<T>(descriptor) : descriptor;
    return this.register(d, (id) => valueState(this.valueTable(id), d));
  }

  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    return this.register(descriptor, (id) => listState<T>(this.valueTable(id)));
  }

  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    return this.register(descriptor, (id) => mapState<UK, UV>(this.mapTable(id), descriptor.name));
  }

  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.register(descriptor, (id) => reducingState(this.valueTable(id), descriptor));
  }

  getAggregatingState<IN, ACC, OUT>(
    descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
  ): AggregatingState<IN, OUT> {
    return this.register(descriptor, (id) => aggregatingState(this.valueTable(id), descriptor));
  }

  /**
   * The states the operator registered through a descriptor, each name and kind once, in
   * order, leaving out states only restored; a request whose kind differs from the state's is
   * listed too (it threw). `sluice savepoint check` compares them with a savepoint's.
   */
  registeredStates(): readonly StateMeta[] {
    return this.registrations;
  }

  hasState(name: string): boolean {
    return this.metas.some((m) => m.name === name);
  }

  beforeSnapshot(hook: () => void): void {
    this.snapshotHooks.push(hook);
  }

  /** Runs the `beforeSnapshot` hooks (first thing in a snapshot), then restores the current key. */
  protected runSnapshotHooks(): void {
    if (this.snapshotHooks.length === 0) return;
    const key = this.getCurrentKey();
    for (const hook of this.snapshotHooks) hook();
    if (key !== undefined) this.setCurrentKey(key);
  }

  applyToAllKeys<S>(descriptor: StateDescriptor, fn: (key: unknown, state: S) => void): void {
    const state = this.stateFor(descriptor) as S;
    for (const key of this.keysOfState(this.stateId(descriptor.name, descriptor.kind))) {
      this.setCurrentKey(key);
      fn(key, state);
    }
  }

  /** The state of a descriptor of any kind, registered as its getter would. */
  private stateFor(descriptor: StateDescriptor): unknown {
    // The kind tells the descriptor's class; the getters check their descriptor's own fields.
    const d = descriptor as never;
    switch (descriptor?.kind) {
      case 'value':
        return this.getState(d);
      case 'list':
        return this.getListState(d);
      case 'map':
        return this.getMapState(d);
      case 'reducing':
        return this.getReducingState(d);
      case 'aggregating':
        return this.getAggregatingState(d);
      default:
        throw new InvalidJobError(
          `operator '${this.operatorName}': not a state descriptor: ${String(descriptor)}`,
        );
    }
  }

  /** The id of a state, registering it (from a descriptor or a restored snapshot) when new. */
  protected stateId(name: string, kind: StateKind): number {
    const id = this.metas.findIndex((m) => m.name === name);
    if (id < 0) return this.metas.push({ name, kind }) - 1;
    if (this.metas[id]!.kind !== kind)
      throw new StateError(
        `operator '${this.operatorName}': state '${name}' is ${this.metas[id]!.kind} state, not ${kind} state`,
      );
    return id;
  }

  /** Throws the error a bad key deserves: nothing to key by, or a key this subtask does not own. */
  protected checkKey(key: unknown): void {
    if (key === null || key === undefined || typeof key === 'function' || typeof key === 'symbol')
      throw new InvalidJobError(`operator '${this.operatorName}': the key selector returned ${String(key)}`);
  }

  protected checkKeyGroup(key: unknown, keyGroup: number): void {
    const { start, end } = this.keyGroupRange;
    if (keyGroup < start || keyGroup > end)
      throw new StateError(
        `operator '${this.operatorName}': key ${describeKey(key)} is in key group ${keyGroup}, ` +
          `outside this subtask's key groups ${start}-${end} (was the stream keyed by another key?)`,
      );
  }

  protected checkMaxParallelism(snapshotMaxParallelism: number): void {
    if (snapshotMaxParallelism !== this.maxParallelism)
      throw new StateError(
        `operator '${this.operatorName}': the snapshot has ${snapshotMaxParallelism} key groups and ` +
          `the operator ${this.maxParallelism}; the max parallelism cannot change on restore`,
      );
  }

  private register<S>(descriptor: StateDescriptor, create: (id: number) => S): S {
    if (!descriptor || typeof descriptor.name !== 'string')
      throw new InvalidJobError(`operator '${this.operatorName}': a state needs a descriptor with a name`);
    const { name, kind } = descriptor;
    const existing = this.states.get(name);
    // Asked for again, as functions do per record: nothing else to check or record.
    if (existing !== undefined && existing.kind === kind) return existing.state as S;
    // A first request, or one of another kind (it throws below): recorded either way.
    if (!this.registrations.some((r) => r.name === name && r.kind === kind))
      this.registrations.push({ name, kind });
    const id = this.stateId(name, kind);
    const state = create(id);
    this.states.set(name, { state, kind });
    return state;
  }
}

export function describeKey(key: unknown): string {
  const text = typeof key === 'string' ? JSON.stringify(key) : safeJson(key);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
