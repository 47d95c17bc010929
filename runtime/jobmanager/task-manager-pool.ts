import type { SlotRequest } from './slot-scheduler';
import type { ResourceDriver } from './resources/resource-driver';
import type { ResourceProfile } from '../deployment/resource-profile';

/**
 * Per-job mode (docs/architecture.md §4): TaskManagers started for one job through the resource driver and
 * stopped when it ends. Started TaskManagers carry the job id in their id, so the scheduler
 * gives each job only its own.
 */
export class TaskManagerPool {
  private readonly started = new Map<string, string[]>();

  constructor(
    private readonly driver: ResourceDriver,
    private readonly slotsPerTaskManager: number,
    private readonly defaultProfile: ResourceProfile,
  ) {}

  async ensureStarted(jobId: string, requests: readonly SlotRequest[]): Promise<void> {
    if (this.started.has(jobId)) return;
    const count = Math.ceil(requests.length / this.slotsPerTaskManager);
    const profile = requests.find((r) => r.profile)?.profile ?? this.defaultProfile;
    const ids = await this.driver.startTaskManagers({
      jobId,
      count,
      slotsPerTaskManager: this.slotsPerTaskManager,
      slotProfile: profile,
    });
    this.started.set(jobId, ids);
  }

  owns(jobId: string, taskManagerId: string): boolean {
    return taskManagerId.startsWith(`job-${jobId}-`);
  }

  async release(jobId: string): Promise<void> {
    const ids = this.started.get(jobId);
    this.started.delete(jobId);
    if (ids) await this.driver.stopTaskManagers(ids);
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}
