import { BadRequestError, SavepointIncompatibleError, StateError } from '../errors';
import type { JobGraph } from '../graph/job-graph';
import type { Logger } from '../util/logger';
import type { BlobStore } from '../storage/blob-store';
import type { CompletedCheckpoint } from './completed-checkpoint-store';
import type { RestorePoint } from './restore-point';
import { readSavepoint } from './savepoint-store';

/**
 * Checks, before a job starts from a savepoint or another job's checkpoint, that every operator
 * holding state there has a home in the new job: state is mapped by operator id (its uid when
 * set, Flink's rule), so an operator whose uid was renamed or removed would silently lose its
 * state. Refused unless `allowNonRestoredState` (then logged); a changed max parallelism of
 * keyed state is refused by `restoreHandlesFor`.
 * @throws SavepointIncompatibleError naming every unmatched operator by uid and name.
 */
export function assertStateMapped(
  restored: CompletedCheckpoint,
  jobGraph: JobGraph,
  allowNonRestoredState: boolean,
  logger: Logger,
): void {
  const ids = new Set(jobGraph.vertices.flatMap((v) => v.operators.map((op) => op.id)));
  const unmatched = restored.metadata.operators.filter((op) => op.subtasks.length > 0 && !ids.has(op.id));
  if (unmatched.length === 0) return;
  const names = unmatched.map((op) => `'${op.uid ?? op.id}' (${op.name})`).join(', ');
  const what = `${restored.externalPath} holds state of operator${unmatched.length > 1 ? 's' : ''} ${names} that job '${jobGraph.jobName}' does not have`;
  if (!allowNonRestoredState)
    throw new SavepointIncompatibleError(
      `${what}; give the operator its old uid, or start with --allow-non-restored-state to drop that state`,
    );
  logger.warn(
    { location: restored.externalPath, operators: unmatched.map((o) => o.id) },
    `${what}; dropping it (allow-non-restored-state)`,
  );
}

/**
 * The restore point of a job starting from the savepoint at a client-given `location`: read and
 * verified, and its state checked to have a home in `jobGraph` (see `assertStateMapped`), so a
 * mismatch is refused before anything runs.
 */
export async function savepointRestorePoint(
  blobs: BlobStore,
  location: string,
  jobGraph: JobGraph,
  allowNonRestoredState: boolean,
  logger: Logger,
): Promise<RestorePoint> {
  const savepoint = await readSavepoint(blobs, location).catch((err: unknown) => {
    // Not a savepoint there: the client named the wrong place (400), not a broken job manager.
    if (err instanceof StateError) throw new BadRequestError(err.message, { cause: err });
    throw err;
  });
  assertStateMapped(savepoint, jobGraph, allowNonRestoredState, logger);
  return {
    checkpointId: savepoint.metadata.checkpointId,
    metadataKey: savepoint.metadataKey,
    allowNonRestoredState,
  };
}
