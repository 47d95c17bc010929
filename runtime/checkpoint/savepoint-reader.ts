import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { CheckpointCorruptError, NotFoundError, StateError } from '../errors';
import type { BlobStore } from '../storage/blob-store';
import { joinBlobKey } from '../storage/blob-key';
import { FsBlobStore } from '../storage/fs/fs-blob-store';
import type { StateObjectRef } from './checkpoint-metadata';
import { METADATA_FILE } from './checkpoint-storage-layout';
import type { CompletedCheckpoint } from './completed-checkpoint-store';
import { readSavepoint, readSavepointAt } from './savepoint-store';

/** A savepoint opened for reading by the state tools (`sluice savepoint inspect|check`). */
export interface OpenedSavepoint {
  readonly savepoint: CompletedCheckpoint;
  /** Reads one of its state objects, verified against the size and SHA-256 in `_metadata`. */
  readState(ref: StateObjectRef): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Opens the savepoint at `location` without a job manager: a local directory holding `_metadata`
 * (wherever it was copied to), else a location in the configured blob store (`s3://…`,
 * `file://…` or a key under `savepoints/` of `configuredStore`; the savepoint location rule applies).
 * @throws CheckpointCorruptError naming `_metadata` when it fails its checksum; StateError when
 * nothing there is a savepoint; BadRequestError for a location outside the rule.
 */
export async function openSavepoint(
  location: string,
  configuredStore: () => BlobStore,
): Promise<OpenedSavepoint> {
  const local = localSavepointDir(location);
  const blobs = local ? new FsBlobStore({ dir: dirname(local) }) : configuredStore();
  try {
    const savepoint = local ? await readLocal(blobs, local, location) : await readSavepoint(blobs, location);
    return {
      savepoint,
      readState: (ref) => readVerified(blobs, joinBlobKey(savepoint.dir, ref.path), ref),
      close: () => blobs.close(),
    };
  } catch (err) {
    await blobs.close();
    throw err;
  }
}

/** The local directory `location` names when it is one holding `_metadata` (or that file itself). */
function localSavepointDir(location: string): string | undefined {
  const path = location.startsWith('file://') ? new URL(location).pathname : location;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(path)) return undefined;
  const full = resolve(path);
  if (!existsSync(full)) return undefined;
  const dir = statSync(full).isDirectory() ? full : dirname(full);
  return existsSync(resolve(dir, METADATA_FILE)) ? dir : undefined;
}

async function readLocal(blobs: BlobStore, dir: string, location: string): Promise<CompletedCheckpoint> {
  try {
    return await readSavepointAt(blobs, joinBlobKey(basename(dir), METADATA_FILE));
  } catch (err) {
    if (err instanceof NotFoundError) throw new StateError(`${location} is not a savepoint: no _metadata`);
    throw err;
  }
}

async function readVerified(blobs: BlobStore, key: string, ref: StateObjectRef): Promise<Uint8Array> {
  let body: Uint8Array;
  try {
    body = await blobs.get(key);
  } catch (err) {
    if (err instanceof NotFoundError)
      throw new CheckpointCorruptError(blobs.describe(key), 'the object is missing', { cause: err });
    throw err;
  }
  const actual = createHash('sha256').update(body).digest('hex');
  if (body.byteLength !== ref.bytes || actual !== ref.sha256)
    throw new CheckpointCorruptError(
      blobs.describe(key),
      `${body.byteLength} bytes with SHA-256 ${actual}, expected ${ref.bytes} bytes with ${ref.sha256}`,
    );
  return body;
}
