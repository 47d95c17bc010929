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

/**
 * An LMDB environment in a directory of its own, read and written synchronously from the task
 * thread. A separate LMDB commit per write is slow (about 80k puts/s here, see docs/state.md),
 * so writes go to a bounded write buffer of decoded values (a memtable) that is committed in
 * one transaction when full and before any scan or snapshot; reads look there first.
 * Durability comes from checkpoints, so LMDB does not sync to disk.
 */
export class KvStore {
  private readonly db: RootDatabase<Buffer, Buffer>;
  private readonly pending = new Map<string, unknown>();

  constructor(
    readonly directory: string,
    private readonly writeBufferEntries: number,
    private readonly describeKey: (key: Buffer) => string,
  ) {
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

  /** `id` is the key as a latin1 string (the write buffer's key), when the caller has it. */
  get(key: Buffer, id?: string): unknown {
    if (this.pending.size > 0) {
      const value = this.pending.get(id ?? key.toString('latin1'));
      if (value !== undefined) return value === DELETED ? undefined : value;
    }
    const bytes = this.db.getBinaryFast(key);
    return bytes === undefined ? undefined : decodeValue(bytes);
  }

  put(key: Buffer, value: unknown, id?: string): void {
    this.pending.set(id ?? key.toString('latin1'), value);
    if (this.pending.size >= this.writeBufferEntries) this.flush();
  }

  delete(key: Buffer, id?: string): void {
    this.put(key, DELETED, id);
  }

  /** Commits the write buffer in one transaction. */
  flush(): void {
    if (this.pending.size === 0) return;
    this.db.transactionSync(() => {
      for (const [k, value] of this.pending) {
        const key = Buffer.from(k, 'latin1');
        if (value === DELETED) this.db.removeSync(key);
        else this.db.putSync(key, this.encode(key, value));
      }
    });
    this.pending.clear();
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
      for (const key of this.db.getKeys({ start: prefix, end: prefixEnd(prefix) })) this.db.removeSync(key);
    });
  }

  /** Writes encoded entries (a restore) in one transaction. */
  putEncoded(entries: Iterable<[Buffer, Uint8Array]>): void {
    this.flush();
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
    this.pending.clear();
    try {
      await this.db.close();
    } finally {
      rmSync(this.directory, { recursive: true, force: true });
    }
  }

  private encode(key: Buffer, value: unknown): Buffer {
    try {
      return encodeValue(value, this.describeKey(key));
    } catch (err) {
      this.pending.clear();
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
