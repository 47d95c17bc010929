import { StateError } from '../errors';
import type { KeyGroupRange } from '../graph/key-groups';
import type { StateKind } from './state-descriptors';
import { decodeValue, encodeValue } from './value-codec';

/**
 * The bytes of state snapshots, the same for every backend, so a checkpoint taken on `heap`
 * restores on `kv` and the reverse. Keyed state is organised by key group: each key group's
 * entries are one separately encoded block, so a restore (or a rescale) decodes only the
 * blocks of the key groups it owns. Bump the version on any change; readers refuse others.
 */
export const SNAPSHOT_FORMAT_VERSION = 1;
const KEYED_FORMAT = 'sluice-keyed-state';
const OPERATOR_FORMAT = 'sluice-operator-state';

export interface StateMeta {
  readonly name: string;
  readonly kind: StateKind;
}

/**
 * One keyed entry: the state (index into `states`), the key as the user gave it, the value as
 * msgpack bytes, and for map state the user key. Map state has one entry per user key.
 */
export type KeyedEntry = [state: number, key: unknown, value: Uint8Array, userKey?: unknown];

interface KeyedSnapshotHeader {
  readonly format: typeof KEYED_FORMAT;
  readonly version: number;
  /** Backend that wrote it (for people; restore does not depend on it). */
  readonly backend: string;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  readonly states: StateMeta[];
  /** [key group, msgpack of KeyedEntry[]] in ascending key group order. */
  readonly groups: [number, Uint8Array][];
}

/** Collects entries grouped by key group and encodes them as one snapshot. */
export class KeyedSnapshotWriter {
  private readonly groups = new Map<number, KeyedEntry[]>();
  entryCount = 0;

  constructor(
    private readonly backend: string,
    private readonly maxParallelism: number,
    private readonly keyGroupRange: KeyGroupRange,
    private readonly states: StateMeta[],
  ) {}

  add(keyGroup: number, entry: KeyedEntry): void {
    let entries = this.groups.get(keyGroup);
    if (!entries) this.groups.set(keyGroup, (entries = []));
    entries.push(entry);
    this.entryCount++;
  }

  encode(): Uint8Array {
    const groups: [number, Uint8Array][] = [...this.groups.keys()]
      .sort((a, b) => a - b)
      .map((group) => [group, encodeValue(this.groups.get(group), 'snapshot')]);
    const header: KeyedSnapshotHeader = {
      format: KEYED_FORMAT,
      version: SNAPSHOT_FORMAT_VERSION,
      backend: this.backend,
      maxParallelism: this.maxParallelism,
      keyGroupRange: this.keyGroupRange,
      states: this.states,
      groups,
    };
    return encodeValue(header, 'snapshot');
  }
}

/** A decoded keyed snapshot; entries are decoded per key group on demand. */
export class KeyedSnapshotReader {
  private constructor(private readonly header: KeyedSnapshotHeader) {}

  static read(bytes: Uint8Array): KeyedSnapshotReader {
    const header = decodeHeader(bytes, KEYED_FORMAT) as unknown as KeyedSnapshotHeader;
    if (!Array.isArray(header.states) || !Array.isArray(header.groups))
      throw new StateError('keyed state snapshot is malformed: states or key groups missing');
    return new KeyedSnapshotReader(header);
  }

  get states(): readonly StateMeta[] {
    return this.header.states;
  }

  get maxParallelism(): number {
    return this.header.maxParallelism;
  }

  /** The backend that wrote it (`heap`, `kv`): the format is the same for both. */
  get backend(): string {
    return this.header.backend;
  }

  get keyGroupRange(): KeyGroupRange {
    return this.header.keyGroupRange;
  }

  /** Entries of the key groups inside `range`, with their key group. */
  *entries(range: KeyGroupRange): Generator<[number, KeyedEntry]> {
    for (const [group, block] of this.header.groups) {
      if (group < range.start || group > range.end) continue;
      for (const entry of decodeValue(block) as KeyedEntry[]) yield [group, entry];
    }
  }
}

/**
 * Version of operator state snapshots that hold union list or broadcast state (`modes`, added in
 * 2). Snapshots of split lists only are still written as version 1, which earlier Sluice reads.
 */
export const OPERATOR_SNAPSHOT_VERSION = 2;

/**
 * How an operator state is redistributed on restore (Flink's OperatorStateHandle.Mode): `split`
 * lists are concatenated and split evenly, every subtask gets all elements of a `union` list,
 * and every subtask gets one old subtask's copy of a `broadcast` map.
 */
export type OperatorStateMode = 'split' | 'union' | 'broadcast';

/** The content of an operator state snapshot; a broadcast map's elements are its [key, value] entries. */
export interface OperatorSnapshotContent {
  readonly lists: [string, unknown[]][];
  /** The states whose mode is not `split`. */
  readonly modes: ReadonlyMap<string, Exclude<OperatorStateMode, 'split'>>;
}

interface OperatorSnapshotBody {
  readonly format: typeof OPERATOR_FORMAT;
  readonly version: number;
  /** Per state: its name and elements (a broadcast map's [key, value] entries). */
  readonly lists: [string, unknown[]][];
  /** Per state that is not a split list: its name and mode (absent in version 1). */
  readonly modes?: [string, OperatorStateMode][];
}

export function encodeOperatorSnapshot(
  lists: [string, unknown[]][],
  modes: [string, OperatorStateMode][] = [],
): Uint8Array {
  const body: OperatorSnapshotBody = {
    format: OPERATOR_FORMAT,
    version: modes.length > 0 ? OPERATOR_SNAPSHOT_VERSION : 1,
    lists,
    ...(modes.length > 0 ? { modes } : {}),
  };
  return encodeValue(body, 'operator state snapshot');
}

/** The states of an operator snapshot with their modes. */
export function decodeOperatorState(bytes: Uint8Array): OperatorSnapshotContent {
  const body = decodeHeader(bytes, OPERATOR_FORMAT, [
    1,
    OPERATOR_SNAPSHOT_VERSION,
  ]) as unknown as OperatorSnapshotBody;
  if (!Array.isArray(body.lists)) throw new StateError('operator state snapshot is malformed: lists missing');
  const modes = new Map<string, Exclude<OperatorStateMode, 'split'>>();
  for (const [name, mode] of body.modes ?? []) {
    if (mode !== 'split' && mode !== 'union' && mode !== 'broadcast')
      throw new StateError(`operator state snapshot is malformed: state '${name}' has mode ${String(mode)}`);
    if (mode !== 'split') modes.set(name, mode);
  }
  return { lists: body.lists, modes };
}

/** The states of an operator snapshot as name and elements, whatever their mode. */
export function decodeOperatorSnapshot(bytes: Uint8Array): [string, unknown[]][] {
  return decodeOperatorState(bytes).lists;
}

/**
 * The state names a snapshot holds (keyed or operator state, told apart by its format), for
 * `_metadata`; only the header is looked at, the entries stay encoded.
 */
export function stateNamesOfSnapshot(bytes: Uint8Array): string[] {
  const header = decodeValue(bytes) as { format?: unknown; states?: unknown; lists?: unknown };
  if (header.format === KEYED_FORMAT && Array.isArray(header.states))
    return (header.states as StateMeta[]).map((s) => s.name);
  if (header.format === OPERATOR_FORMAT && Array.isArray(header.lists))
    return (header.lists as [string, unknown[]][]).map(([name]) => name);
  throw new StateError(`not a state snapshot: format ${String(header.format)}`);
}

function decodeHeader(
  bytes: Uint8Array,
  format: string,
  versions: readonly number[] = [SNAPSHOT_FORMAT_VERSION],
): Record<string, unknown> {
  let decoded: unknown;
  try {
    decoded = decodeValue(bytes);
  } catch (err) {
    throw new StateError(`${format} snapshot is not valid msgpack (${bytes.length} bytes)`, { cause: err });
  }
  const header = decoded as Record<string, unknown> | null;
  if (header === null || typeof header !== 'object' || header.format !== format)
    throw new StateError(`not a ${format} snapshot (format ${JSON.stringify(header?.format)})`);
  if (!versions.includes(header.version as number))
    throw new StateError(
      `${format} snapshot has version ${String(header.version)}; this Sluice reads version ${versions.join(' and ')}`,
    );
  return header;
}
