import type { SlotRegistry, TaskManagerRecord } from '../coordination/slot-registry';
import type { Logger } from '../util/logger';

/**
 * A TaskManager's record and lease in the slot registry (Redis coordination): registered at
 * start, renewed every heartbeat interval, registered again once it expired (a long pause or a
 * Redis restart), removed on close. A failed renewal is logged and retried on the next tick:
 * the TaskManager keeps running tasks while Redis is away, it only cannot be offered new ones.
 */
export class RegistryLease {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Set from a failed renewal to the next good one: a Redis outage is logged once, not per tick. */
  private failing = false;

  constructor(
    private readonly registry: SlotRegistry,
    private readonly record: TaskManagerRecord,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  async start(intervalMs: number): Promise<void> {
    await this.registry.registerTaskManager(this.record, this.leaseMs);
    this.timer = setInterval(() => void this.renew(), intervalMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.registry.unregisterTaskManager(this.record.id).catch((err: unknown) => {
      this.logger.warn({ err }, 'could not remove this TaskManager from the slot registry');
    });
  }

  private async renew(): Promise<void> {
    try {
      const alive = await this.registry.heartbeat(this.record.id, this.leaseMs);
      if (!alive && !this.closed) {
        this.logger.warn('slot registry lease expired: registering again');
        await this.registry.registerTaskManager({ ...this.record, registeredAt: Date.now() }, this.leaseMs);
      }
      if (this.failing) this.logger.info('slot registry lease renewed again');
      this.failing = false;
    } catch (err) {
      if (this.closed || this.failing) return;
      this.failing = true;
      this.logger.warn({ err }, 'could not renew the slot registry lease: retrying every heartbeat interval');
    }
  }
}
