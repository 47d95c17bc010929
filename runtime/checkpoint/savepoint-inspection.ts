import { StateError } from '../errors';
import type { KeyGroupRange } from '../graph/key-groups';
import type { StateKind } from '../state/state-descriptors';
import { TIMER_STATE_PREFIX } from '../state/state-descriptors';
import type { OperatorSnapshotContent, OperatorStateMode } from '../state/snapshot-format';
import { KeyedSnapshotReader, decodeOperatorState } from '../state/snapshot-format';
import { decodeValue } from '../state/value-codec';
import type { OperatorStateMetadata } from './checkpoint-metadata';
import type { OpenedSavepoint } from './savepoint-reader';

/** One keyed state of an operator, over all its subtasks. */
export interface InspectedKeyedState {
  readonly name: string;
  readonly kind: StateKind;
  /** Distinct keys holding a value. */
  readonly keys: number;
  /** Entries (map state: one per user key). */
  readonly entries: number;
}

export interface InspectedSubtask {
  readonly subtask: number;
  readonly keyGroupRange?: KeyGroupRange;
  readonly keyedBytes?: number;
  /** Backend that wrote the keyed snapshot (`heap`, `kv`). */
  readonly backend?: string;
  readonly keys?: number;
  readonly operatorBytes?: number;
}

export interface InspectedOperator {
  readonly id: string;
  readonly uid?: string;
  readonly name: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly bytes: number;
  readonly keyedStates: readonly InspectedKeyedState[];
  /** Registered timers (event and processing time), kept apart from the user's keyed state. */
  readonly timers: number;
  /**
   * Operator state by name and mode (how a restore redistributes it), with its element count
   * over all subtasks; for a broadcast map, the entries of one subtask's copy.
   */
  readonly operatorStates: readonly {
    readonly name: string;
    readonly mode: OperatorStateMode;
    readonly elements: number;
  }[];
  readonly subtasks: readonly InspectedSubtask[];
}

export interface SavepointInspection {
  readonly location: string;
  readonly jobId: string;
  readonly jobName: string;
  readonly checkpointId: number;
  readonly trigger: string;
  readonly timestamp: number;
  readonly stateSize: number;
  readonly operators: readonly InspectedOperator[];
}

/** One keyed state entry as `--dump` writes it (one JSON line each). */
export interface DumpedEntry {
  readonly state: string;
  readonly kind: StateKind;
  readonly keyGroup: number;
  readonly key: unknown;
  readonly userKey?: unknown;
  readonly value: unknown;
}

/**
 * What a savepoint holds (`sluice savepoint inspect`): per operator its uid, name, key group
 * ranges, keyed state names with key counts, operator state, sizes. Every state object is
 * read and verified (a corrupt one is refused naming it); heap and kv snapshots share a format.
 */
export async function inspectSavepoint(opened: OpenedSavepoint): Promise<SavepointInspection> {
  const { metadata, externalPath } = opened.savepoint;
  const operators: InspectedOperator[] = [];
  for (const op of metadata.operators) operators.push(await inspectOperator(opened, op));
  return {
    location: externalPath,
    jobId: metadata.jobId,
    jobName: metadata.jobName,
    checkpointId: metadata.checkpointId,
    trigger: metadata.trigger,
    timestamp: metadata.completionTimestamp,
    stateSize: metadata.stateSize,
    operators,
  };
}

async function inspectOperator(
  opened: OpenedSavepoint,
  op: OperatorStateMetadata,
): Promise<InspectedOperator> {
  const keyed = new Map<string, { kind: StateKind; keys: Set<string>; entries: number }>();
  const lists = new Map<string, { mode: OperatorStateMode; elements: number }>();
  const subtasks: InspectedSubtask[] = [];
  let bytes = 0;
  let timers = 0;
  for (const s of op.subtasks) {
    let subtask: InspectedSubtask = { subtask: s.subtask };
    if (s.keyed) {
      const reader = readKeyed(await opened.readState(s.keyed), op, s.keyed.path);
      const subtaskKeys = new Set<string>();
      for (const [, [state, key]] of reader.entries(s.keyed.keyGroupRange)) {
        const meta = reader.states[state]!;
        if (meta.name.startsWith(TIMER_STATE_PREFIX)) {
          timers++;
          continue;
        }
        const record = keyed.get(meta.name) ?? { kind: meta.kind, keys: new Set<string>(), entries: 0 };
        keyed.set(meta.name, record);
        const keyText = JSON.stringify(key);
        record.keys.add(keyText);
        record.entries++;
        subtaskKeys.add(keyText);
      }
      for (const meta of reader.states)
        if (!keyed.has(meta.name) && !meta.name.startsWith(TIMER_STATE_PREFIX))
          keyed.set(meta.name, { kind: meta.kind, keys: new Set(), entries: 0 });
      subtask = {
        ...subtask,
        keyGroupRange: s.keyed.keyGroupRange,
        keyedBytes: s.keyed.bytes,
        backend: reader.backend,
        keys: subtaskKeys.size,
      };
      bytes += s.keyed.bytes;
    }
    if (s.operator) {
      const content = readOperator(await opened.readState(s.operator), op, s.operator.path);
      for (const [name, elements] of content.lists) {
        const mode = content.modes.get(name) ?? 'split';
        const before = lists.get(name)?.elements ?? 0;
        // Every subtask holds a whole copy of a broadcast map: count one.
        const count = mode === 'broadcast' ? Math.max(before, elements.length) : before + elements.length;
        lists.set(name, { mode, elements: count });
      }
      subtask = { ...subtask, operatorBytes: s.operator.bytes };
      bytes += s.operator.bytes;
    }
    subtasks.push(subtask);
  }
  return {
    id: op.id,
    ...(op.uid !== undefined ? { uid: op.uid } : {}),
    name: op.name,
    parallelism: op.parallelism,
    maxParallelism: op.maxParallelism,
    bytes,
    keyedStates: [...keyed].map(([name, r]) => ({
      name,
      kind: r.kind,
      keys: r.keys.size,
      entries: r.entries,
    })),
    timers,
    operatorStates: [...lists].map(([name, { mode, elements }]) => ({ name, mode, elements })),
    subtasks,
  };
}

/**
 * The keyed state of the operator `uid` (its uid, else its id), entry by entry, optionally
 * only of state `state` and key `key` (matched as the key's text or its JSON).
 * @throws StateError when the savepoint has no such operator or state, or a value does not decode.
 */
export async function* dumpKeyedState(
  opened: OpenedSavepoint,
  uid: string,
  filter: { state?: string; key?: string } = {},
): AsyncGenerator<DumpedEntry> {
  const { metadata, externalPath } = opened.savepoint;
  const op =
    metadata.operators.find((o) => (o.uid ?? o.id) === uid) ?? metadata.operators.find((o) => o.id === uid);
  if (!op) {
    const known = metadata.operators.map((o) => o.uid ?? o.id).join(', ') || 'none';
    throw new StateError(`savepoint ${externalPath} has no operator with uid '${uid}' (operators: ${known})`);
  }
  let stateSeen = filter.state === undefined;
  for (const s of op.subtasks) {
    if (!s.keyed) continue;
    const reader = readKeyed(await opened.readState(s.keyed), op, s.keyed.path);
    stateSeen ||= reader.states.some((m) => m.name === filter.state);
    for (const [keyGroup, [state, key, value, userKey]] of reader.entries(s.keyed.keyGroupRange)) {
      const meta = reader.states[state]!;
      if (filter.state !== undefined && meta.name !== filter.state) continue;
      if (filter.key !== undefined && String(key) !== filter.key && JSON.stringify(key) !== filter.key)
        continue;
      yield {
        state: meta.name,
        kind: meta.kind,
        keyGroup,
        key,
        ...(userKey !== undefined ? { userKey } : {}),
        value: decodeEntryValue(value, op, meta.name, key),
      };
    }
  }
  if (!stateSeen)
    throw new StateError(
      `operator '${uid}' (${op.name}) has no keyed state named '${filter.state}' in ${externalPath}`,
    );
}

function readKeyed(bytes: Uint8Array, op: OperatorStateMetadata, path: string): KeyedSnapshotReader {
  try {
    return KeyedSnapshotReader.read(bytes);
  } catch (err) {
    throw new StateError(
      `keyed state ${path} of operator '${op.uid ?? op.id}' does not decode: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function readOperator(bytes: Uint8Array, op: OperatorStateMetadata, path: string): OperatorSnapshotContent {
  try {
    return decodeOperatorState(bytes);
  } catch (err) {
    throw new StateError(
      `operator state ${path} of operator '${op.uid ?? op.id}' does not decode: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** A state value's msgpack bytes decoded; @throws StateError naming operator, state and key. */
export function decodeEntryValue(
  value: Uint8Array,
  op: OperatorStateMetadata,
  state: string,
  key: unknown,
): unknown {
  try {
    return decodeValue(value);
  } catch (err) {
    throw new StateError(
      `operator '${op.uid ?? op.id}' state '${state}' key ${JSON.stringify(key)}: the value does not decode as msgpack`,
      { cause: err },
    );
  }
}
