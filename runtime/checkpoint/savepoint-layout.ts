import { randomBytes } from 'node:crypto';
import { BadRequestError, InvalidBlobKeyError } from '../errors';
import { assertValidBlobKey, joinBlobKey } from '../storage/blob-key';
import { METADATA_FILE } from './checkpoint-storage-layout';

/**
 * Where savepoints live (docs/architecture.md §7, §8): every savepoint is a directory
 * `savepoints/…/savepoint-<jobId[0:6]>-<12 hex>/` holding `_metadata` and its state files, named
 * by paths relative to that directory, so a savepoint can be browsed, copied or moved as a
 * whole. Savepoints stay inside the cluster's blob store (bucket and prefix) and inside its
 * `savepoints/` folder: a client never names an object elsewhere (another job's checkpoints,
 * artifacts, another bucket).
 */
export const SAVEPOINTS_ROOT = 'savepoints';

/** The rule every client-given savepoint location must follow (quoted in every refusal). */
export const SAVEPOINT_LOCATION_RULE =
  'a savepoint location must lie inside the configured blob store, in its savepoints/ folder, written plainly (no "..", "." or empty segments, no %-encoding, no other bucket, no absolute path)';

/** A fresh savepoint directory name: `savepoint-<jobId[0:6]>-<12 hex>`. */
export function savepointDirName(jobId: string): string {
  const short = jobId.replace(/[^A-Za-z0-9]/g, '').slice(0, 6) || 'job';
  return `savepoint-${short}-${randomBytes(6).toString('hex')}`;
}

/** The `_metadata` key of the savepoint in directory `dir`. */
export function savepointMetadataKey(dir: string): string {
  return joinBlobKey(dir, METADATA_FILE);
}

/**
 * The blob key a client-given savepoint location names, relative to the store root: a key
 * (`savepoints/upgrades`), or the store's own URL form (`s3://bucket/prefix/savepoints/…`,
 * `file:///root/savepoints/…`, as `describe` prints it), with an optional trailing `/` or
 * `/_metadata`. `storeRoot` is the store's URL of its root with a trailing `/`.
 * @throws BadRequestError quoting `SAVEPOINT_LOCATION_RULE` for anything else.
 */
export function savepointLocationToKey(location: string, storeRoot: string): string {
  const refuse = (why: string): never => {
    throw new BadRequestError(
      `savepoint location ${JSON.stringify(location)} refused (${why}): ${SAVEPOINT_LOCATION_RULE}`,
    );
  };
  let path = location.trim();
  if (path === '') refuse('empty');
  if (path.startsWith(storeRoot)) path = path.slice(storeRoot.length);
  else if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(path)) refuse(`not inside ${storeRoot}`);
  else if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) refuse('an absolute path');
  if (path.endsWith('/')) path = path.slice(0, -1);
  if (/[%\\]/.test(path)) refuse('encoded or backslash characters');
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..')) refuse('"..", "." or empty segments');
  if (path.endsWith(`/${METADATA_FILE}`)) path = path.slice(0, -METADATA_FILE.length - 1);
  try {
    assertValidBlobKey(path);
  } catch (err) {
    if (err instanceof InvalidBlobKeyError) refuse(err.message);
    throw err;
  }
  if (path !== SAVEPOINTS_ROOT && !path.startsWith(`${SAVEPOINTS_ROOT}/`))
    refuse(`not in ${SAVEPOINTS_ROOT}/`);
  return path;
}

/** True when `key` is the `_metadata` of a savepoint directory under `savepoints/`. */
export function isSavepointMetadataKey(key: string): boolean {
  return key.startsWith(`${SAVEPOINTS_ROOT}/`) && key.endsWith(`/${METADATA_FILE}`);
}

/** The directory of a `_metadata` key. */
export function directoryOfMetadataKey(key: string): string {
  return key.slice(0, -METADATA_FILE.length - 1);
}
