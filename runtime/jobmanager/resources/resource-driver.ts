import type { ResourceProfile } from '../../deployment/resource-profile';

/**
 * Resource driver port (docs/architecture.md §4, per-job mode): starts TaskManagers sized for a job and
 * stops them when it ends. Local adapter: child processes. AWS adapter: ECS RunTask/StopTask.
 */
export interface ResourceDriver {
  /**
   * Starts `count` TaskManagers, each offering `slotsPerTaskManager` slots of `slotProfile`.
   * Resolves once they were launched (not yet registered); returns one handle id per worker.
   * The started TaskManagers register in the slot registry by themselves.
   */
  startTaskManagers(request: TaskManagerLaunchRequest): Promise<string[]>;
  /** Stops the given workers. Unknown or already stopped ids are ignored. */
  stopTaskManagers(workerIds: string[]): Promise<void>;
  /** Stops everything this driver started. */
  close(): Promise<void>;
}

export interface TaskManagerLaunchRequest {
  jobId: string;
  count: number;
  slotsPerTaskManager: number;
  slotProfile: ResourceProfile;
}
