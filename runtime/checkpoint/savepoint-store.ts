import { CheckpointCorruptError, NotFoundError, StateError } from '../errors';
import type { BlobStore } from '../storage/blob-store';
import { joinBlobKey } from '../storage/blob-key';
import type { CheckpointMetadata } from './checkpoint-metadata';
import { decodeMetadata, encodeMetadata } from './checkpoint-metadata';
import type { CompletedCheckpoint } from './completed-checkpoint-store';
import {
  SAVEPOINTS_ROOT,
  directoryOfMetadataKey,
  isSavepointMetadataKey,
  savepointDirName,
  savepointLocationToKey,
  savepointMetadataKey,
} from './savepoint-layout';

/** One savepoint as `GET /savepoints` lists it. */
export interface SavepointSummary {
  readonly location: string;
  readonly jobId: string;
  readonly jobName: string;
  readonly checkpointId: number;
  readonly trigger: CheckpointMetadata['trigger'];
  readonly timestamp: number;
  readonly stateSize: number;
}

/** The store's URL of its root, with a trailing `/` (`s3://bucket/prefix/`, `file:///dir/`). */
export function storeRootOf(blobs: BlobStore): string {
  return blobs.describe(SAVEPOINTS_ROOT).slice(0, -SAVEPOINTS_ROOT.length);
}

/** The savepoint directory key a client-given location names (see `savepointLocationToKey`). */
export function savepointKeyOf(blobs: BlobStore, location: string): string {
  return savepointLocationToKey(location, storeRootOf(blobs));
}

/**
 * A fresh savepoint directory (`<target>/savepoint-<jobId[0:6]>-<12 hex>`) under a client-given
 * target directory. @throws BadRequestError when the target breaks `SAVEPOINT_LOCATION_RULE`.
 */
export function savepointTargetDir(blobs: BlobStore, target: string, jobId: string): string {
  return joinBlobKey(savepointKeyOf(blobs, target), savepointDirName(jobId));
}

/**
 * Writes a completed savepoint into `dir`: its state objects, acknowledged under the
 * checkpoint directory `fromDir`, are copied (server-side on S3) to the same relative paths,
 * then `_metadata` is written last, so a directory with `_metadata` is a whole savepoint.
 * Objects carry the job, kind and checkpoint id as metadata only where the store copies them.
 */
export async function writeSavepoint(
  blobs: BlobStore,
  fields: Omit<CheckpointMetadata, 'checksum'>,
  fromDir: string,
  dir: string,
): Promise<CompletedCheckpoint> {
  for (const op of fields.operators)
    for (const s of op.subtasks)
      for (const ref of [s.keyed, s.operator])
        if (ref) await blobs.copy(joinBlobKey(fromDir, ref.path), joinBlobKey(dir, ref.path));
  const key = savepointMetadataKey(dir);
  await blobs.put(key, encodeMetadata(fields), {
    contentType: 'application/json',
    metadata: { kind: 'savepoint-metadata', job: fields.jobId, 'checkpoint-id': String(fields.checkpointId) },
  });
  return readSavepointAt(blobs, key);
}

/**
 * Reads and verifies the savepoint whose `_metadata` is at `key` (wherever it was moved to
 * under `savepoints/`). @throws CheckpointCorruptError naming the object; NotFoundError.
 */
export async function readSavepointAt(blobs: BlobStore, key: string): Promise<CompletedCheckpoint> {
  const metadata = decodeMetadata(key, await blobs.get(key));
  if (metadata.kind !== 'savepoint')
    throw new CheckpointCorruptError(key, 'it does not describe a savepoint');
  const dir = directoryOfMetadataKey(key);
  return { metadata, metadataKey: key, dir, externalPath: blobs.describe(dir) };
}

/**
 * The savepoint at a client-given location. @throws BadRequestError for a location outside
 * the rule, StateError when no savepoint is there, CheckpointCorruptError when it fails to verify.
 */
export async function readSavepoint(blobs: BlobStore, location: string): Promise<CompletedCheckpoint> {
  const dir = savepointKeyOf(blobs, location);
  try {
    return await readSavepointAt(blobs, savepointMetadataKey(dir));
  } catch (err) {
    if (err instanceof NotFoundError)
      throw new StateError(`${location} is not a savepoint: ${blobs.describe(dir)}/_metadata does not exist`);
    throw err;
  }
}

/** Every savepoint under `savepoints/`, newest first; one that fails to verify is skipped and reported. */
export async function listSavepoints(
  blobs: BlobStore,
  onUnreadable: (key: string, err: unknown) => void = () => undefined,
): Promise<SavepointSummary[]> {
  const keys = (await blobs.list(SAVEPOINTS_ROOT)).filter(isSavepointMetadataKey);
  const out: SavepointSummary[] = [];
  for (const key of keys) {
    try {
      const { metadata: m, externalPath } = await readSavepointAt(blobs, key);
      out.push({
        location: externalPath,
        jobId: m.jobId,
        jobName: m.jobName,
        checkpointId: m.checkpointId,
        trigger: m.trigger,
        timestamp: m.completionTimestamp,
        stateSize: m.stateSize,
      });
    } catch (err) {
      onUnreadable(key, err);
    }
  }
  return out.sort((a, b) => b.timestamp - a.timestamp);
}

/**
 * Deletes a savepoint: exactly the objects its `_metadata` names, then `_metadata` itself
 * (so a half-disposed savepoint is never mistaken for a whole one). Returns how many objects
 * were deleted. Anything else a user put into the directory stays.
 */
export async function disposeSavepoint(blobs: BlobStore, location: string): Promise<number> {
  const { metadata, metadataKey, dir } = await readSavepoint(blobs, location);
  let deleted = 0;
  for (const op of metadata.operators)
    for (const s of op.subtasks)
      for (const ref of [s.keyed, s.operator])
        if (ref) {
          await blobs.delete(joinBlobKey(dir, ref.path));
          deleted++;
        }
  await blobs.delete(metadataKey);
  return deleted + 1;
}
