import { BadRequestError, InvalidBlobKeyError } from '../errors';
import type { PutOptions } from './blob-store';

/**
 * Blob key rules, shared by every `BlobStore` adapter so that a key means the same object on
 * S3 and on a local disk, and so that no caller-supplied string can leave the store root.
 *
 * A key is one or more segments joined by `/`:
 * - each segment is non-empty and is neither `.` nor `..` (no `a//b`, `a/./b`, `../x`);
 * - no leading or trailing `/` (`/abs` would be absolute on a disk; `a/` names a "folder");
 * - at most 1024 bytes in UTF-8 (S3's limit), each segment at most 200 (a file name on most
 *   disks is at most 255 bytes, and the filesystem adapter appends up to 17 for its own files);
 * - only the characters `A-Z a-z 0-9` and `- _ . = + @ :`.
 *
 * The character set is deliberately small: it excludes `\` (a separator on Windows), control
 * characters, whitespace, `%` and `?`/`#` (URL and encoding ambiguity), `*` (glob), and `~`,
 * which the filesystem adapter reserves for its temp and metadata files. Everything Sluice
 * writes (sha256 hex, job ids, `chk-<n>`, `_metadata`, `<uid>-<subtask>`) fits.
 *
 * A prefix names a "folder": it is `''` (the whole store) or a key, optionally followed by
 * one `/`. `a/b` and `a/b/` are the same prefix and match `a/b/c` but neither `a/bc` nor
 * `a/b` itself, so deleting `chk-1` can never touch `chk-10`.
 */
export const MAX_BLOB_KEY_BYTES = 1024;
export const MAX_BLOB_SEGMENT_BYTES = 200;

const ALLOWED_CHARS = /^[A-Za-z0-9\-_.=+@:/]*$/;
const METADATA_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// S3 caps all user metadata (keys + values) at 2 KB; enforce it everywhere for parity.
const MAX_METADATA_BYTES = 2048;
const MAX_CONTENT_TYPE_LENGTH = 256;

/** Throws `InvalidBlobKeyError` unless `key` follows the rules above. */
export function assertValidBlobKey(key: string): void {
  if (typeof key !== 'string') throw new InvalidBlobKeyError(String(key), 'must be a string');
  if (key === '') throw new InvalidBlobKeyError(key, 'must not be empty');
  checkPath(key);
}

/** Throws `InvalidBlobKeyError` unless `prefix` is `''` or a valid key with an optional trailing `/`. */
export function assertValidBlobPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new InvalidBlobKeyError(String(prefix), 'must be a string');
  if (prefix === '') return;
  const body = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (body === '') throw new InvalidBlobKeyError(prefix, 'a prefix of only "/" is not allowed; use ""');
  checkPath(body, prefix);
}

/** The prefix in canonical form: `''` or a key without trailing `/`. Validates it first. */
export function normalizeBlobPrefix(prefix: string): string {
  assertValidBlobPrefix(prefix);
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/** True when `key` lies under the (normalized) `prefix`, by the folder semantics above. */
export function isUnderBlobPrefix(key: string, normalizedPrefix: string): boolean {
  return normalizedPrefix === '' || key.startsWith(`${normalizedPrefix}/`);
}

/**
 * Joins parts with `/`, dropping empty parts and trimming slashes at the joints, then
 * validates the result as a key: `joinBlobKey('checkpoints/', jobId, 'chk-3')`.
 * Throws `InvalidBlobKeyError` when a part smuggles in `..`, `//` or a forbidden character.
 */
export function joinBlobKey(...parts: string[]): string {
  const key = parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter((part) => part !== '')
    .join('/');
  assertValidBlobKey(key);
  return key;
}

/** Throws `BadRequestError` when metadata or content type could not be stored the same way on every adapter. */
export function assertValidPutOptions(options: PutOptions | undefined): void {
  if (options === undefined) return;
  const { contentType, metadata } = options;
  if (contentType !== undefined) {
    if (!PRINTABLE_ASCII.test(contentType) || contentType.length > MAX_CONTENT_TYPE_LENGTH) {
      throw new BadRequestError(`invalid content type ${JSON.stringify(contentType)}`);
    }
  }
  if (metadata === undefined) return;
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    // Lower case only: S3 lower-cases metadata names, so mixed case would not round-trip.
    if (!METADATA_KEY.test(name)) {
      throw new BadRequestError(`invalid metadata name ${JSON.stringify(name)}: use [a-z0-9-], at most 64`);
    }
    if (typeof value !== 'string' || !PRINTABLE_ASCII.test(value)) {
      throw new BadRequestError(`metadata '${name}' must be printable ASCII (it travels as an HTTP header)`);
    }
    bytes += name.length + value.length;
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new BadRequestError(`metadata is ${bytes} bytes; at most ${MAX_METADATA_BYTES} are allowed`);
  }
}

function checkPath(path: string, reported: string = path): void {
  if (Buffer.byteLength(path, 'utf8') > MAX_BLOB_KEY_BYTES) {
    throw new InvalidBlobKeyError(reported, `longer than ${MAX_BLOB_KEY_BYTES} bytes`);
  }
  if (path.startsWith('/')) throw new InvalidBlobKeyError(reported, 'must be relative (no leading "/")');
  if (!ALLOWED_CHARS.test(path)) {
    throw new InvalidBlobKeyError(reported, 'only letters, digits and - _ . = + @ : / are allowed');
  }
  for (const segment of path.split('/')) {
    if (segment === '')
      throw new InvalidBlobKeyError(reported, 'empty path segment ("//" or a trailing "/")');
    if (segment === '.' || segment === '..') {
      throw new InvalidBlobKeyError(reported, `"${segment}" segments are not allowed`);
    }
    // ASCII only by now, so length is the byte count.
    if (segment.length > MAX_BLOB_SEGMENT_BYTES) {
      throw new InvalidBlobKeyError(
        reported,
        `a path segment is longer than ${MAX_BLOB_SEGMENT_BYTES} bytes`,
      );
    }
  }
}

/** Throws `BadRequestError` unless `offset` and `length` are safe integers >= 0 (a byte range of `getRange`). */
export function assertValidByteRange(offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new BadRequestError(`invalid byte range: offset ${offset}, length ${length} (need integers >= 0)`);
  }
}
