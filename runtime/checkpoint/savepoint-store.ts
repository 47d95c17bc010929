import { TIMER_STATE_PREFIX } from '../state/state-descriptors';
import { CheckpointCorruptError, ConflictError, NotFoundError, StateError } from '../errors';
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

/** One operator of a savepoint as `GET /savepoints/details` shows it (from `_metadata` only). */
export interface SavepointOperatorDetails {
  readonly id: string;
  readonly uid?: string;
  readonly name: string;
  readonly vertexId: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** Bytes of its keyed / operator state objects over every subtask. */
  readonly keyedStateSize: number;
  readonly operatorStateSize: number;
  /** Names of its keyed and operator states (from `_metadata`; absent in savepoints of older releases). */
  readonly keyedStates: readonly string[];
  readonly operatorStates: readonly string[];
  readonly subtasks: readonly {
    readonly subtask: number;
    readonly keyedBytes?: number;
    readonly keyGroups?: { readonly start: number; readonly end: number };
    readonly operatorBytes?: number;
  }[];
}

/** A savepoint's `_metadata` summarised for the dashboard: the listing's fields and its operators. */
export interface SavepointDetails extends SavepointSummary {
  readonly triggerTimestamp: number;
  readonly mode: CheckpointMetadata['mode'];
  readonly graphHash: string;
  readonly operators: readonly SavepointOperatorDetails[];
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
 * Every object carries the job, kind and checkpoint id as metadata (tags in the S3 console).
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
        if (ref)
          await blobs.copy(joinBlobKey(fromDir, ref.path), joinBlobKey(dir, ref.path), {
            contentType: 'application/octet-stream',
            metadata: {
              kind: ref === s.keyed ? 'savepoint-keyed-state' : 'savepoint-operator-state',
              job: fields.jobId,
              'checkpoint-id': String(fields.checkpointId),
            },
          });
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

/**
 * What the `_metadata` of the savepoint at a client-given location says: operators, their
 * subtasks and state sizes. @throws BadRequestError (location rule), NotFoundError when no
 * savepoint is there, ConflictError when its `_metadata` does not verify (the cause named).
 */
export async function savepointDetails(blobs: BlobStore, location: string): Promise<SavepointDetails> {
  const dir = savepointKeyOf(blobs, location);
  let read: CompletedCheckpoint;
  try {
    read = await readSavepointAt(blobs, savepointMetadataKey(dir));
  } catch (err) {
    if (err instanceof NotFoundError)
      throw new NotFoundError(`no savepoint at ${location}: ${blobs.describe(dir)}/_metadata does not exist`);
    if (err instanceof CheckpointCorruptError) throw new ConflictError(err.message);
    throw err;
  }
  const { metadata: m, externalPath } = read;
  return {
    ...summaryOf(m, externalPath),
    triggerTimestamp: m.triggerTimestamp,
    mode: m.mode,
    graphHash: m.graphHash,
    operators: m.operators.map((op) => ({
      id: op.id,
      ...(op.uid === undefined ? {} : { uid: op.uid }),
      name: op.name,
      vertexId: op.vertexId,
      parallelism: op.parallelism,
      maxParallelism: op.maxParallelism,
      keyedStateSize: op.subtasks.reduce((n, s) => n + (s.keyed?.bytes ?? 0), 0),
      operatorStateSize: op.subtasks.reduce((n, s) => n + (s.operator?.bytes ?? 0), 0),
      // Timer queues are the runtime's, not the user's states (inspect counts them apart).
      keyedStates: [...new Set(op.subtasks.flatMap((s) => s.keyed?.states ?? []))].filter(
        (name) => !name.startsWith(TIMER_STATE_PREFIX),
      ),
      operatorStates: [...new Set(op.subtasks.flatMap((s) => s.operator?.states ?? []))],
      subtasks: op.subtasks.map((s) => ({
        subtask: s.subtask,
        ...(s.keyed ? { keyedBytes: s.keyed.bytes, keyGroups: s.keyed.keyGroupRange } : {}),
        ...(s.operator ? { operatorBytes: s.operator.bytes } : {}),
      })),
    })),
  };
}

function summaryOf(m: CheckpointMetadata, location: string): SavepointSummary {
  return {
    location,
    jobId: m.jobId,
    jobName: m.jobName,
    checkpointId: m.checkpointId,
    trigger: m.trigger,
    timestamp: m.completionTimestamp,
    stateSize: m.stateSize,
  };
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
      out.push(summaryOf(m, externalPath));
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
