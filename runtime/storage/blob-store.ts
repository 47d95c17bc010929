/**
 * Blob store port: checkpoints, savepoints and job artifacts (docs/architecture.md §7).
 *
 * Keys are relative to the store's root (an S3 bucket + prefix, or a directory), use `/` as
 * separator, and are validated by `assertValidBlobKey` before any adapter touches them, so
 * no caller-supplied string can escape the root. Adapters own their connections.
 */
export interface BlobStore {
  /** Writes the whole object, replacing any previous one. Idempotent for the same bytes. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<void>;
  /** Reads the whole object. Throws `NotFoundError` when it does not exist. */
  get(key: string): Promise<Uint8Array>;
  /**
   * Reads at most `length` bytes starting at byte `offset` (fewer at the end of the object, none
   * at or past it). Throws `NotFoundError` when the object does not exist. For readers that
   * split an object by byte ranges (`readTextFile` on `s3://`).
   */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  /** The object's size in bytes. Throws `NotFoundError` when it does not exist. */
  size(key: string): Promise<number>;
  /**
   * Copies the body of `from` to `to`, replacing any object there, without the bytes passing
   * through the caller (S3 copies server-side). The copy gets `options`' content type and
   * metadata, never the source's (none when omitted). Throws `NotFoundError` when `from` does
   * not exist.
   */
  copy(from: string, to: string, options?: PutOptions): Promise<void>;
  /** True when the object exists. */
  exists(key: string): Promise<boolean>;
  /**
   * Every key under `prefix` (which may be ''), sorted, relative to the root. A prefix names a
   * folder: `a/b` (or `a/b/`) matches `a/b/c`, not `a/bc` (see `blob-key.ts`).
   */
  list(prefix: string): Promise<string[]>;
  /** Deletes one object. Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Deletes every object under `prefix` (must be non-empty; same folder semantics as `list`);
   * returns how many were deleted. Not atomic: objects put concurrently may survive.
   */
  deletePrefix(prefix: string): Promise<number>;
  /** Human-readable location of a key, e.g. `s3://bucket/prefix/key` or `file:///dir/key`. */
  describe(key: string): string;
  /** Releases connections. */
  close(): Promise<void>;
}

export interface PutOptions {
  contentType?: string;
  /** Small string tags (job, kind, checkpoint id) stored as object metadata. */
  metadata?: Record<string, string>;
}
