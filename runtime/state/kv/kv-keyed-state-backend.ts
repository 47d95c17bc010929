import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { StateError } from '../../errors';
import type { KeyGroupRange } from '../../graph/key-groups';
import { serializeKey } from '../../graph/key-groups';
import { murmur3 } from '../../graph/murmur3';
import { AbstractKeyedStateBackend, describeKey } from '../abstract-keyed-state-backend';
import { decodeKey, keyTag, taggedKeyBytes } from '../key-bytes';
import type { MapTable, StateSnapshot, ValueTable } from '../keyed-state-backend';
import type { StateMeta } from '../snapshot-format';
import { KeyedSnapshotReader, KeyedSnapshotWriter } from '../snapshot-format';
import { KV_MAX_KEY_BYTES, KvStore } from './kv-store';

/** Entries encoded between two yields to the task's event loop during a snapshot's async part. */
const SNAPSHOT_SLICE = 10_000;

/**
 * Keyed state in an embedded LMDB store on the TaskManager's disk, so state can outgrow the
 * heap. A store key is
 *   [key group: u16 BE][key tag: u8][key length: u16 BE][key bytes][state id: u16 BE][user key?]
 * so one key group range is one contiguous scan, and one key's map state is one prefix. The
 * per-record prefix (up to the key bytes) is built once in `setCurrentKey`.
 */
export class KvKeyedStateBackend extends AbstractKeyedStateBackend {
  private readonly store: KvStore;
  private key: unknown;
  private keyGroup = -1;
  private prefix: Buffer = Buffer.alloc(0);
  /** The prefix as a latin1 string: cache keys are built from it without re-encoding. */
  private prefixId = '';
  /** Store keys of the current record per state id (built on first use in the record). */
  private stateKeys: (Buffer | undefined)[] = [];
  private stateIds: (string | undefined)[] = [];

  constructor(
    maxParallelism: number,
    keyGroupRange: KeyGroupRange,
    operatorName: string,
    directory: string,
    cacheBytes: number,
  ) {
    super('kv', maxParallelism, keyGroupRange, operatorName);
    this.store = new KvStore(directory, cacheBytes, (key) => this.describeStoreKey(key));
  }

  /** Where this backend keeps its files. */
  get directory(): string {
    return this.store.directory;
  }

  setCurrentKey(key: unknown): void {
    // The same primitive key again (a timer of the record's key, consecutive records): already set.
    if (key === this.key && key !== undefined && typeof key !== 'object') return;
    this.checkKey(key);
    const bytes = serializeKey(key);
    const keyGroup = murmur3(bytes) % this.maxParallelism;
    this.checkKeyGroup(key, keyGroup);
    if (bytes.length + 8 > KV_MAX_KEY_BYTES)
      throw new StateError(
        `operator '${this.operatorName}': key ${describeKey(key)} is ${bytes.length} bytes serialized; ` +
          `the kv state backend holds keys up to ${KV_MAX_KEY_BYTES - 8} bytes`,
      );
    this.prefix = keyPrefix(keyGroup, keyTag(key), bytes);
    this.prefixId = this.prefix.toString('latin1');
    this.key = key;
    this.keyGroup = keyGroup;
    this.stateKeys = [];
    this.stateIds = [];
  }

  getCurrentKey(): unknown {
    return this.key;
  }

  getCurrentKeyGroup(): number {
    return this.keyGroup;
  }

  protected valueTable(stateId: number): ValueTable {
    return {
      get: () => this.store.get(this.stateKey(stateId), this.cacheId(stateId)),
      put: (value) => this.store.put(this.stateKey(stateId), value, this.cacheId(stateId)),
      remove: () => this.store.delete(this.stateKey(stateId), this.cacheId(stateId)),
    };
  }

  protected mapTable(stateId: number): MapTable {
    // The last entry key built: a get and a put of one user key in one record build it once
    // (only for keys that cannot change in between: primitives and frozen objects, as windows are).
    let last: { prefix: Buffer; userKey: unknown; key: Buffer; id: string } | undefined;
    const entryKey = (userKey: unknown): Buffer => {
      const prefix = this.stateKey(stateId);
      if (last && last.userKey === userKey && last.prefix === prefix) return last.key;
      const key = Buffer.concat([prefix, taggedKeyBytes(userKey)]);
      if (key.length > KV_MAX_KEY_BYTES)
        throw new StateError(
          `operator '${this.operatorName}': map state '${this.metas[stateId]!.name}' key and user key ` +
            `${describeKey(userKey)} are ${key.length} bytes together; the kv state backend holds up to ${KV_MAX_KEY_BYTES}`,
        );
      if (typeof userKey !== 'object' || Object.isFrozen(userKey))
        last = { prefix, userKey, key, id: key.toString('latin1') };
      return key;
    };
    const entryId = (key: Buffer): string => (last?.key === key ? last.id : key.toString('latin1'));
    const scan = () => {
      const prefix = this.stateKey(stateId);
      return this.store
        .scan(prefix)
        .map(({ key, value }): [unknown, unknown] => [
          decodeKey(key[prefix.length]!, key.subarray(prefix.length + 1)),
          value,
        ]);
    };
    return {
      get: (userKey) => {
        const key = entryKey(userKey);
        return this.store.get(key, entryId(key));
      },
      put: (userKey, value) => {
        const key = entryKey(userKey);
        this.store.put(key, value, entryId(key));
      },
      remove: (userKey) => {
        const key = entryKey(userKey);
        this.store.delete(key, entryId(key));
      },
      has: (userKey) => {
        const key = entryKey(userKey);
        return this.store.get(key, entryId(key)) !== undefined;
      },
      entries: scan,
      isEmpty: () => scan().length === 0,
      clear: () => this.store.deletePrefix(this.stateKey(stateId)),
    };
  }

  /** A scan of the whole store (it is ordered by key group and key, not by state). */
  protected keysOfState(stateId: number): unknown[] {
    const keys: unknown[] = [];
    const view = this.store.readView();
    try {
      let last: Buffer | undefined;
      for (const { key } of view.entries()) {
        const parsed = parseStoreKey(key);
        if (parsed.stateId !== stateId) continue;
        // A map state's entries of one key are adjacent: report the key once.
        const keyPart = key.subarray(0, 7 + key.readUInt16BE(3));
        if (last && last.equals(keyPart)) continue;
        last = Buffer.from(keyPart);
        keys.push(parsed.key);
      }
    } finally {
      view.done();
    }
    return keys;
  }

  snapshot(checkpointId: number): StateSnapshot {
    this.runSnapshotHooks();
    const metas = [...this.metas];
    const view = this.store.readView();
    let open = true;
    const release = (): void => {
      if (open) view.done();
      open = false;
    };
    return {
      checkpointId,
      materialize: async () => {
        try {
          return await this.encodeView(view.entries(), metas);
        } finally {
          release();
        }
      },
      release,
    };
  }

  restore(snapshots: readonly Uint8Array[]): void {
    for (const bytes of snapshots) {
      const reader = KeyedSnapshotReader.read(bytes);
      this.checkMaxParallelism(reader.maxParallelism);
      const ids = reader.states.map((m) => this.stateId(m.name, m.kind));
      const entries = function* (backend: KvKeyedStateBackend): Generator<[Buffer, Uint8Array]> {
        for (const [, [state, key, value, userKey]] of reader.entries(backend.keyGroupRange)) {
          backend.setCurrentKey(key);
          const stateKey = backend.stateKey(ids[state]!);
          yield [
            userKey === undefined ? stateKey : Buffer.concat([stateKey, taggedKeyBytes(userKey)]),
            value,
          ];
        }
      };
      this.store.putEncoded(entries(this));
    }
    this.key = undefined;
  }

  dispose(): Promise<void> {
    return this.store.destroy();
  }

  private stateKey(stateId: number): Buffer {
    let key = this.stateKeys[stateId];
    if (!key) {
      key = Buffer.allocUnsafe(this.prefix.length + 2);
      this.prefix.copy(key);
      key.writeUInt16BE(stateId, this.prefix.length);
      this.stateKeys[stateId] = key;
    }
    return key;
  }

  /** The store key of a state for the current record as a cache id (latin1). */
  private cacheId(stateId: number): string {
    return (this.stateIds[stateId] ??= this.prefixId + String.fromCharCode(stateId >> 8, stateId & 0xff));
  }

  private async encodeView(
    entries: Iterable<{ key: Buffer; value: Buffer }>,
    metas: StateMeta[],
  ): Promise<Uint8Array> {
    const writer = new KeyedSnapshotWriter('kv', this.maxParallelism, this.keyGroupRange, metas);
    let slice = 0;
    for (const { key, value } of entries) {
      const parsed = parseStoreKey(key);
      const entry: [number, unknown, Uint8Array, unknown?] = [parsed.stateId, parsed.key, Buffer.from(value)];
      if (parsed.userKey !== undefined) entry.push(parsed.userKey);
      writer.add(parsed.keyGroup, entry as [number, unknown, Uint8Array]);
      if (++slice === SNAPSHOT_SLICE) {
        slice = 0;
        await yieldToLoop();
      }
    }
    return writer.encode();
  }

  private describeStoreKey(storeKey: Buffer): string {
    const parsed = parseStoreKey(storeKey);
    return `${this.metas[parsed.stateId]?.name ?? `#${parsed.stateId}`}' for key ${describeKey(parsed.key)}`;
  }
}

function keyPrefix(keyGroup: number, tag: number, bytes: Buffer): Buffer {
  const prefix = Buffer.allocUnsafe(bytes.length + 5);
  prefix.writeUInt16BE(keyGroup, 0);
  prefix[2] = tag;
  prefix.writeUInt16BE(bytes.length, 3);
  bytes.copy(prefix, 5);
  return prefix;
}

interface ParsedStoreKey {
  readonly keyGroup: number;
  readonly key: unknown;
  readonly stateId: number;
  readonly userKey: unknown;
}

function parseStoreKey(storeKey: Buffer): ParsedStoreKey {
  const length = storeKey.readUInt16BE(3);
  const rest = storeKey.subarray(7 + length);
  return {
    keyGroup: storeKey.readUInt16BE(0),
    key: decodeKey(storeKey[2]!, storeKey.subarray(5, 5 + length)),
    stateId: storeKey.readUInt16BE(5 + length),
    userKey: rest.length > 0 ? decodeKey(rest[0]!, rest.subarray(1)) : undefined,
  };
}
