import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NotFoundError, SluiceError, StorageError } from '../../errors';
import {
  assertValidBlobKey,
  assertValidByteRange,
  assertValidPutOptions,
  isUnderBlobPrefix,
  normalizeBlobPrefix,
} from '../blob-key';
import type { BlobStore, PutOptions } from '../blob-store';

export interface FsBlobStoreOptions {
  /** Root directory; created on the first write. Relative paths resolve against the cwd. */
  dir: string;
}

/** What the sidecar file holds; absent when a put had neither content type nor metadata. */
export interface FsBlobSidecar {
  contentType?: string;
  metadata?: Record<string, string>;
}

/**
 * `~` never occurs in a valid key, so names containing it cannot collide with objects:
 * `<name>~meta.json` holds an object's content type and metadata, `<name>~tmp-<hex>` is a
 * write in progress. `list` skips both.
 */
const RESERVED_MARK = '~';
const SIDECAR_SUFFIX = '~meta.json';
const TEMP_INFIX = '~tmp-';
// Errors where a later attempt may succeed (descriptor exhaustion, a busy file).
const RETRYABLE_CODES = new Set(['EMFILE', 'ENFILE', 'EBUSY', 'EAGAIN', 'EINTR']);
// A concurrent delete may prune a directory between our mkdir and our write.
const MAX_WRITE_ATTEMPTS = 3;

/**
 * Blob store on a local directory: the embedded adapter, used by `sluice` in embedded mode and
 * by tests. Keys map one-to-one onto relative paths under the root, so the tree is browsable.
 * Writes are atomic (temp file, fsync, rename, fsync of the directory): a reader sees the old
 * object or the new one, never a torn one. Unlike S3, a key cannot be both an object and a
 * folder (`a` and `a/b`); such a put fails with a non-retryable `StorageError`.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;

  constructor(options: FsBlobStoreOptions) {
    this.root = resolve(options.dir);
  }

  async put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<void> {
    assertValidBlobKey(key);
    assertValidPutOptions(options);
    const path = this.pathOf(key);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const sidecar = sidecarOf(options);
    try {
      await withParentDir(path, async () => {
        // Sidecar first: a crash in between leaves new metadata on the old body, never a
        // new body that claims no metadata.
        if (sidecar === undefined) await rm(path + SIDECAR_SUFFIX, { force: true });
        else await writeAtomic(path + SIDECAR_SUFFIX, JSON.stringify(sidecar));
        await writeAtomic(path, bytes);
      });
    } catch (err) {
      throw toStorageError(err, 'put', key);
    }
  }

  async get(key: string): Promise<Uint8Array> {
    assertValidBlobKey(key);
    try {
      const buf = await readFile(this.pathOf(key));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      if (isMissing(err)) throw new NotFoundError(`blob not found: ${this.describe(key)}`);
      throw toStorageError(err, 'get', key);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    assertValidBlobKey(key);
    assertValidByteRange(offset, length);
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(this.pathOf(key), 'r');
      const buf = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buf, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return new Uint8Array(buf.buffer, buf.byteOffset, filled);
    } catch (err) {
      if (isMissing(err)) throw new NotFoundError(`blob not found: ${this.describe(key)}`);
      throw toStorageError(err, 'getRange', key);
    } finally {
      await handle?.close();
    }
  }

  async copy(from: string, to: string, options?: PutOptions): Promise<void> {
    assertValidBlobKey(to);
    assertValidPutOptions(options);
    // A disk has no server-side copy; the atomic put keeps readers from seeing a torn object.
    await this.put(to, await this.get(from), options);
  }

  async size(key: string): Promise<number> {
    assertValidBlobKey(key);
    try {
      const info = await stat(this.pathOf(key));
      if (!info.isFile()) throw new NotFoundError(`blob not found: ${this.describe(key)}`);
      return info.size;
    } catch (err) {
      if (err instanceof NotFoundError) throw err;
      if (isMissing(err)) throw new NotFoundError(`blob not found: ${this.describe(key)}`);
      throw toStorageError(err, 'size', key);
    }
  }

  async exists(key: string): Promise<boolean> {
    assertValidBlobKey(key);
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw toStorageError(err, 'exists', key);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const normalized = normalizeBlobPrefix(prefix);
    try {
      const keys: string[] = [];
      await this.walk(normalized, keys);
      return keys.filter((key) => isUnderBlobPrefix(key, normalized)).sort();
    } catch (err) {
      throw toStorageError(err, 'list', prefix);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    try {
      await this.removeObject(key);
      await this.pruneUpwards(dirname(this.pathOf(key)));
    } catch (err) {
      throw toStorageError(err, 'delete', key);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    const normalized = normalizeBlobPrefix(prefix);
    if (normalized === '') throw new StorageError('deletePrefix needs a non-empty prefix');
    const keys = await this.list(normalized);
    try {
      let deleted = 0;
      for (const key of keys) {
        if (await this.removeObject(key)) deleted += 1;
      }
      const dir = this.pathOf(normalized);
      await pruneTree(dir);
      await this.pruneUpwards(dirname(dir));
      return deleted;
    } catch (err) {
      throw toStorageError(err, 'deletePrefix', prefix);
    }
  }

  describe(key: string): string {
    assertValidBlobKey(key);
    return pathToFileURL(this.pathOf(key)).href;
  }

  async close(): Promise<void> {
    // No handles are kept open between calls.
  }

  /** Content type and metadata stored with `key`, or `undefined` when the put had none. */
  async readSidecar(key: string): Promise<FsBlobSidecar | undefined> {
    assertValidBlobKey(key);
    try {
      return JSON.parse(await readFile(this.pathOf(key) + SIDECAR_SUFFIX, 'utf8')) as FsBlobSidecar;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw toStorageError(err, 'readSidecar', key);
    }
  }

  private pathOf(key: string): string {
    const path = join(this.root, ...key.split('/'));
    // Validation already rules out escapes; this guards against a future rule change.
    if (!path.startsWith(this.root + sep)) throw new StorageError(`key escapes the store root: ${key}`);
    return path;
  }

  /** Collects the keys of every object below the folder `prefix` ('' = root). */
  private async walk(prefix: string, into: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(prefix === '' ? this.root : this.pathOf(prefix), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.includes(RESERVED_MARK)) continue;
      const key = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      // Foreign files whose names are not valid keys could never be read back; hide them.
      if (!isValidKey(key)) continue;
      if (entry.isDirectory()) await this.walk(key, into);
      else if (entry.isFile()) into.push(key);
    }
  }

  /** Removes the object and its sidecar; true when the object existed. */
  private async removeObject(key: string): Promise<boolean> {
    const path = this.pathOf(key);
    await rm(path + SIDECAR_SUFFIX, { force: true });
    try {
      await unlink(path);
      return true;
    } catch (err) {
      // Also EISDIR: `key` is a folder, not an object, so there is nothing to delete.
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** Removes now-empty directories from `dir` up to (not including) the root. */
  private async pruneUpwards(dir: string): Promise<void> {
    for (let current = dir; current.startsWith(this.root + sep); current = dirname(current)) {
      if (!(await tryRmdir(current))) return;
    }
  }
}

function sidecarOf(options: PutOptions | undefined): FsBlobSidecar | undefined {
  const metadata = options?.metadata;
  const hasMetadata = metadata !== undefined && Object.keys(metadata).length > 0;
  if (options?.contentType === undefined && !hasMetadata) return undefined;
  return { contentType: options?.contentType, metadata: hasMetadata ? { ...metadata } : undefined };
}

async function withParentDir(path: string, write: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await mkdir(dirname(path), { recursive: true });
    try {
      await write();
      return;
    } catch (err) {
      if (errCode(err) !== 'ENOENT' || attempt >= MAX_WRITE_ATTEMPTS) throw err;
    }
  }
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = `${path}${TEMP_INFIX}${randomBytes(6).toString('hex')}`;
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
}

/** Makes the rename durable: without it a crash may forget the new directory entry. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Depth-first removal of empty directories at and below `dir`; keeps any that hold files. */
async function pruneTree(dir: string): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return;
    throw err;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) await pruneTree(join(dir, entry.name));
  }
  await tryRmdir(dir);
}

/** True when the directory was removed; false when it is not empty or already gone. */
async function tryRmdir(dir: string): Promise<boolean> {
  try {
    await rmdir(dir);
    return true;
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw err;
  }
}

function isValidKey(key: string): boolean {
  try {
    assertValidBlobKey(key);
    return true;
  } catch {
    return false;
  }
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** ENOTDIR: a parent of the key is an object, so the key itself cannot exist; EISDIR: it is a folder. */
function isMissing(err: unknown): boolean {
  const code = errCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function toStorageError(err: unknown, op: string, key: string): SluiceError {
  if (err instanceof SluiceError) return err;
  const code = errCode(err) ?? 'unknown';
  const reason =
    code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST'
      ? 'a key cannot be both an object and a folder on a filesystem store'
      : (err as Error).message;
  return new StorageError(`fs blob store ${op} '${key}' failed (${code}): ${reason}`, {
    cause: err,
    retryable: RETRYABLE_CODES.has(code),
  });
}
