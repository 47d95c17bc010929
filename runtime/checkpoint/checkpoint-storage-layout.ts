import { createHash } from 'node:crypto';
import { joinBlobKey } from '../storage/blob-key';

/**
 * Where checkpoints live in the blob store (docs/architecture.md §7), the one place that
 * names their keys:
 *
 *   checkpoints/<jobId>/chk-<n>/_metadata                       written last: the checkpoint exists
 *   checkpoints/<jobId>/chk-<n>/<operatorDir>/<subtask>-keyed.bin
 *   checkpoints/<jobId>/chk-<n>/<operatorDir>/<subtask>-operator.bin
 *
 * `_metadata` names state objects by paths relative to `chk-<n>/`, so a checkpoint directory
 * can be copied or moved (savepoints, issue 9) without rewriting it.
 */
export const CHECKPOINTS_ROOT = 'checkpoints';
export const METADATA_FILE = '_metadata';

/** Every checkpoint of a job. */
export function jobCheckpointsPrefix(jobId: string): string {
  return joinBlobKey(CHECKPOINTS_ROOT, jobId);
}

/** The directory of checkpoint `checkpointId`. */
export function checkpointDir(jobId: string, checkpointId: number): string {
  return joinBlobKey(CHECKPOINTS_ROOT, jobId, `chk-${checkpointId}`);
}

export function metadataKey(jobId: string, checkpointId: number): string {
  return joinBlobKey(checkpointDir(jobId, checkpointId), METADATA_FILE);
}

export type StateKind = 'keyed' | 'operator';

/** Path of one subtask's state object of one operator, relative to `chk-<n>/`. */
export function stateObjectPath(operatorId: string, subtask: number, kind: StateKind): string {
  return `${operatorDirName(operatorId)}/${subtask}-${kind}.bin`;
}

/** Blob key of one subtask's state object of one operator. */
export function stateObjectKey(
  jobId: string,
  checkpointId: number,
  operatorId: string,
  subtask: number,
  kind: StateKind,
): string {
  return joinBlobKey(checkpointDir(jobId, checkpointId), stateObjectPath(operatorId, subtask, kind));
}

/** The key of a path relative to `chk-<n>/`; throws `InvalidBlobKeyError` for one that would leave it. */
export function resolveCheckpointPath(jobId: string, checkpointId: number, path: string): string {
  return joinBlobKey(checkpointDir(jobId, checkpointId), path);
}

/** A key under `chk-<n>/` as a path relative to that directory. */
export function relativeCheckpointPath(jobId: string, checkpointId: number, key: string): string {
  const dir = `${checkpointDir(jobId, checkpointId)}/`;
  if (!key.startsWith(dir)) throw new Error(`${key} is not inside ${dir}`);
  return key.slice(dir.length);
}

/** The checkpoint id of a `checkpoints/<jobId>/chk-<n>/_metadata` key, else undefined. */
export function checkpointIdOfMetadataKey(jobId: string, key: string): number | undefined {
  const match = /^chk-(\d+)\/_metadata$/.exec(key.slice(jobCheckpointsPrefix(jobId).length + 1));
  return key.startsWith(`${jobCheckpointsPrefix(jobId)}/`) && match ? Number(match[1]) : undefined;
}

/** The checkpoint id of any key under `checkpoints/<jobId>/chk-<n>/`, else undefined. */
export function checkpointIdOfKey(jobId: string, key: string): number | undefined {
  const prefix = `${jobCheckpointsPrefix(jobId)}/`;
  if (!key.startsWith(prefix)) return undefined;
  const match = /^chk-(\d+)\//.exec(key.slice(prefix.length));
  return match ? Number(match[1]) : undefined;
}

const SAFE_SEGMENT = /[^A-Za-z0-9_.=+@:-]/g;
const MAX_READABLE = 80;

/**
 * A directory name for any operator id (a user's uid may hold any character): the id's safe
 * characters for readability, then a hash of the whole id, so two ids never share a
 * directory, even on a case-insensitive disk or after truncation.
 */
export function operatorDirName(operatorId: string): string {
  const readable = operatorId.replace(SAFE_SEGMENT, '_').slice(0, MAX_READABLE);
  const hash = createHash('sha256').update(operatorId, 'utf8').digest('hex').slice(0, 16);
  return `op-${readable}-${hash}`;
}
