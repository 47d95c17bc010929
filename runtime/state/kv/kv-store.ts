import { mkdirSync, rmSync } from 'node:fs';
import type * as Lmdb from 'lmdb';
import type { RootDatabase, Transaction } from 'lmdb';
import { StateError } from '../../errors';
import { decodeValue, encodeValue } from '../value-codec';

/** LMDB's largest key (its default build), in bytes. */
export const KV_MAX_KEY_BYTES = 1978;

const DELETED = Symbol('deleted');

/**
 * LMDB's native addon is loaded on first use, not with this module: task threads of heap jobs
 * never load it, and a thread terminated while the addon registers aborts the whole process
 * (see docs/state.md, "Not yet").
 */
let lmdb: typeof Lmdb | undefined;
function openLmdb(): (typeof Lmdb)['open'] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  lmdb ??= require('lmdb') as typeof Lmdb;
  return lmdb.open;
}

/** What a cached entry is first assumed to cost (bytes), before a commit has measured it. */
const INITIAL_ENTRY_BYTES = 1024;
/**
 * A decoded value in the heap costs a few times its msgpack encoding, and a Map entry with its
 * string key has a fixed overhead: the estimate per cached entry is encoded × 3 + 128 bytes.
 */
const DECODED_EXPANSION = 3;
const ENTRY_OVERHEAD_BYTES = 128;

/**
 * An LMDB environment in a directory of its own, read and written synchronously from the task
 * thread. A separate LMDB commit per write is slow (about 80k puts/s here, see docs/state.md),
 * and reading means decoding, so the store keeps a cache of decoded values in the heap: writes
 * land there (dirty) and are committed in one transaction when the cache is full and before any
 * scan or snapshot; reads look there first and keep what they decoded. The cache is bounded by
 * `cacheBytes`, counted with a per-entry size measured at each commit (RocksDB's memtable and
 * block cache play these parts). Durability comes from checkpoints, so LMDB does not sync.
 */
export class KvStore {
  private readonly db: RootDatabase<Buffer, Buffer>;
  /** Decoded values (or DELETED) by store key as a latin1 string, oldest first. */
  private readonly cache = new Map<string, unknown>();
  /** Cache entries not yet committed to LMDB. */
  private readonly dirty = new Set<string>();
  private entryBytes = INITIAL_ENTRY_BYTES;
  private capacity: number;

  constructor(
    readonly directory: string,
    private readonly cacheBytes: number,
    private readonly describeKey: (key: Buffer) => string,
  ) {
    this.capacity = this.capacityFor(INITIAL_ENTRY_BYTES);
    try {
      mkdirSync(directory, { recursive: true });
      this.db = openLmdb()<Buffer, Buffer>({
        path: directory,
        noSync: true,
        encoding: 'binary',
        keyEncoding: 'binary',
        compression: false,
        cache: false,
      });
    } catch (err) {
      throw new StateError(`cannot open the kv state store in ${directory}`, { cause: err });
    }
  }

  /** `id` is the key as a latin1 string (the cache's key), when the caller has it. */
  get(key: Buffer, id?: string): unknown {
    const cacheId = id ?? key.toString('latin1');
    const cached = this.cache.get(cacheId);
    if (cached !== undefined) return cached === DELETED ? undefined : cached;
    const bytes = this.db.getBinaryFast(key);
    if (bytes === undefined) return undefined;
    const value = decodeValue(bytes);
    this.cache.set(cacheId, value);
    if (this.cache.size > this.capacity) this.makeRoom();
    return value;
  }

  put(key: Buffer, value: unknown, id?: string): void {
    const cacheId = id ?? key.toString('latin1');
    this.cache.set(cacheId, value);
    this.dirty.add(cacheId);
    if (this.cache.size > this.capacity) this.makeRoom();
  }

  delete(key: Buffer, id?: string): void {
    this.put(key, DELETED, id);
  }

  /** Commits the dirty entries in one transaction; the cache keeps them, now clean. */
  flush(): void {
    if (this.dirty.size === 0) return;
    let bytes = 0;
    this.db.transactionSync(() => {
      for (const id of this.dirty) {
        const key = Buffer.from(id, 'latin1');
        const value = this.cache.get(id);
        if (value === DELETED) {
          this.db.removeSync(key);
          this.cache.delete(id);
        } else {
          const encoded = this.encode(key, value);
          bytes += encoded.length;
          this.db.putSync(key, encoded);
        }
        bytes += id.length;
      }
    });
    this.entryBytes = (bytes / this.dirty.size) * DECODED_EXPANSION + ENTRY_OVERHEAD_BYTES;
    this.capacity = this.capacityFor(this.entryBytes);
    this.dirty.clear();
  }

  /** Commits, then forgets the oldest half of the cache. */
  private makeRoom(): void {
    this.flush();
    const keep = Math.floor(this.capacity / 2);
    for (const id of this.cache.keys()) {
      if (this.cache.size <= keep) break;
      this.cache.delete(id);
    }
  }

  private capacityFor(entryBytes: number): number {
    return Math.max(2, Math.floor(this.cacheBytes / entryBytes));
  }

  /** Entries whose key starts with `prefix`, in key order (committed first). */
  scan(prefix: Buffer): { key: Buffer; value: unknown }[] {
    this.flush();
    const out: { key: Buffer; value: unknown }[] = [];
    for (const { key, value } of this.db.getRange({ start: prefix, end: prefixEnd(prefix) }))
      out.push({ key, value: decodeValue(value) });
    return out;
  }

  deletePrefix(prefix: Buffer): void {
    this.flush();
    this.db.transactionSync(() => {
      for (const key of this.db.getKeys({ start: prefix, end: prefixEnd(prefix) })) {
        this.db.removeSync(key);
        this.cache.delete(key.toString('latin1'));
      }
    });
  }

  /** Writes encoded entries (a restore) in one transaction. */
  putEncoded(entries: Iterable<[Buffer, Uint8Array]>): void {
    this.flush();
    this.cache.clear();
    this.db.transactionSync(() => {
      for (const [key, value] of entries) this.db.putSync(key, Buffer.from(value));
    });
  }

  /**
   * A consistent read view of everything written so far (an LMDB read transaction): later
   * writes do not show in it. Call `done` when finished with it.
   */
  readView(): { entries(): Iterable<{ key: Buffer; value: Buffer }>; done(): void } {
    this.flush();
    const transaction: Transaction = this.db.useReadTransaction();
    return {
      entries: () => this.db.getRange({ transaction }),
      done: () => transaction.done(),
    };
  }

  /** Closes the environment and removes its files. */
  async destroy(): Promise<void> {
    this.cache.clear();
    this.dirty.clear();
    try {
      await this.db.close();
    } finally {
      rmSync(this.directory, { recursive: true, force: true });
    }
  }

  private encode(key: Buffer, value: unknown): Buffer {
    try {
      return encodeValue(value, () => this.describeKey(key));
    } catch (err) {
      // The transaction is abandoned: drop what cannot be committed rather than fail forever.
      this.cache.clear();
      this.dirty.clear();
      throw err;
    }
  }
}

/** The first key after every key that starts with `prefix`. */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.alloc(KV_MAX_KEY_BYTES + 1, 0xff);
}
