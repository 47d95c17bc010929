import { BadRequestError } from '../errors';
import { assertValidBlobKey, isUnderBlobPrefix, normalizeBlobPrefix } from './blob-key';
import type { BlobStore } from './blob-store';

/**
 * Where job code may read and write through `s3://` paths: the configured bucket (`s3.bucket`)
 * under the configured prefix (`s3.prefix`), which is also the root of the cluster's blob store.
 * Nothing here is secret: task threads get it to turn paths into blob keys, while the
 * TaskManager, which holds the credentials, checks every key again (`assertTaskBlobKey`).
 */
export interface S3PathScope {
  readonly bucket: string;
  /** Normalized: '' or a key without trailing '/'. */
  readonly prefix: string;
}

/**
 * Folders under the store root that hold the cluster's own objects. Job code can neither read
 * nor write them through a connector: a job must not read another job's bundle or checkpoint.
 */
export const SYSTEM_BLOB_FOLDERS: readonly string[] = [
  'artifacts',
  'checkpoints',
  'savepoints',
  'jobs',
  'health',
];

const SCHEME = 's3://';

export function isS3Path(path: string): boolean {
  return path.slice(0, SCHEME.length).toLowerCase() === SCHEME;
}

/**
 * The blob key (relative to the store root) of `s3://bucket/prefix/rest`. Refuses, with an
 * error naming the rule, a path without a scope (the cluster's store is not S3), another bucket,
 * a key outside the configured prefix, percent-encoding, `.`/`..`/empty segments, and the
 * cluster's own folders. `folder`: the path names a directory (a sink's output), so a single
 * trailing `/` is accepted.
 */
export function s3PathToBlobKey(path: string, scope: S3PathScope | undefined, folder = false): string {
  if (!isS3Path(path)) throw new BadRequestError(`${JSON.stringify(path)} is not an s3:// path`);
  if (scope === undefined) {
    throw new BadRequestError(
      `cannot use ${path}: s3:// paths need the cluster's blob store on S3 (storage.type: s3 with s3.bucket)`,
    );
  }
  const rest = path.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  let objectPath = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket !== scope.bucket) {
    throw new BadRequestError(
      `cannot use ${path}: jobs may only use the configured bucket (s3.bucket: ${scope.bucket}), not ${JSON.stringify(bucket)}`,
    );
  }
  if (folder && objectPath.endsWith('/')) objectPath = objectPath.slice(0, -1);
  if (/[%\\]/.test(objectPath) || objectPath.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new BadRequestError(
      `cannot use ${path}: an s3:// path must be plain (no empty, '.' or '..' segments, no '%' encoding or '\\')`,
    );
  }
  const prefix = normalizeBlobPrefix(scope.prefix);
  if (!isUnderBlobPrefix(objectPath, prefix) || objectPath === prefix) {
    throw new BadRequestError(
      `cannot use ${path}: jobs may only use objects below the configured prefix (s3://${scope.bucket}/${prefix === '' ? '' : `${prefix}/`}…)`,
    );
  }
  const key = prefix === '' ? objectPath : objectPath.slice(prefix.length + 1);
  assertTaskBlobKey(key);
  return key;
}

/** The `s3://` path of a key, for messages: the inverse of `s3PathToBlobKey`. */
export function blobKeyToS3Path(key: string, scope: S3PathScope): string {
  const prefix = normalizeBlobPrefix(scope.prefix);
  return `${SCHEME}${scope.bucket}/${prefix === '' ? '' : `${prefix}/`}${key}`;
}

/**
 * Throws unless job code may touch `key`: a valid blob key (`assertValidBlobKey`) outside the
 * cluster's own folders. The TaskManager applies it to every request of a task thread.
 */
export function assertTaskBlobKey(key: string): void {
  assertValidBlobKey(key);
  const top = key.split('/')[0]!;
  if (SYSTEM_BLOB_FOLDERS.includes(top)) {
    throw new BadRequestError(
      `jobs may not use ${JSON.stringify(key)}: the folders ${SYSTEM_BLOB_FOLDERS.map((f) => `${f}/`).join(', ')} of the blob store belong to the cluster`,
    );
  }
}

/**
 * What a connector needs to use `s3://` paths: a blob store rooted at the scope's bucket and
 * prefix (in a task thread, the client that goes through the TaskManager) and the scope itself.
 */
export interface S3PathAccess {
  readonly store: BlobStore;
  /** Undefined when the cluster's blob store is not on S3: every s3:// path is then refused. */
  readonly scope: S3PathScope | undefined;
}
