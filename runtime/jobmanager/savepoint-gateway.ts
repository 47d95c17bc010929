import type { SavepointDetails, SavepointSummary } from '../checkpoint/savepoint-store';

/**
 * What REST (`/jobs/:id/savepoints`, `/jobs/:id/stop`, `/savepoint-disposal`, `/savepoints`) and
 * the CLI may ask of the job manager about savepoints (docs/architecture.md §8). Locations are
 * client strings: every method checks them against the savepoint location rule first.
 */
export interface SavepointGateway {
  /**
   * The directory a savepoint of `jobId` would be written to (under `target`, default
   * `state.savepoints.dir`). `BadRequestError` naming the rule for a target outside it;
   * `NotFoundError` for an unknown job; `ConflictError` when it is not running with checkpoints.
   */
  savepointDirFor(jobId: string, target: string | undefined): Promise<string>;
  /** Takes a savepoint into `dir` (from `savepointDirFor`); with `cancelJob` then cancels the job. */
  triggerSavepoint(
    jobId: string,
    dir: string,
    cancelJob: boolean,
  ): Promise<{ checkpointId: number; externalPath: string }>;
  /**
   * Stop-with-savepoint into `dir` (from `savepointDirFor`): resolves once the savepoint
   * completed and the job FINISHED. `drain` ends the sources' input before the savepoint.
   */
  stopWithSavepoint(
    jobId: string,
    dir: string,
    drain: boolean,
  ): Promise<{ checkpointId: number; externalPath: string }>;
  /** `BadRequestError` naming the rule when `location` is outside the savepoint location rule. */
  checkSavepointLocation(location: string): Promise<void>;
  /** Deletes the savepoint at `location`; resolves with its location. `BadRequestError`, `StateError`. */
  disposeSavepoint(location: string): Promise<string>;
  /**
   * What the `_metadata` of the savepoint at `location` says (operators, subtasks, sizes).
   * `BadRequestError` naming the rule for a location outside it; `NotFoundError` when none is
   * there; `ConflictError` when its `_metadata` does not verify.
   */
  inspectSavepoint(location: string): Promise<SavepointDetails>;
  /** Every savepoint under `savepoints/`, newest first. */
  listSavepoints(): Promise<SavepointSummary[]>;
}
