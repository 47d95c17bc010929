import type { ResourceProfile } from '../../deployment/resource-profile';
import { addProfiles, profileFits, ZERO_PROFILE } from '../../deployment/resource-profile';
import { createLogger } from '../../util/logger';
import type { SlotAllocationOutcome } from '../slot-allocation-outcome';
import { isAllocationSuccess } from '../slot-allocation-outcome';
import type { SlotAllocation, SlotRegistry, TaskManagerRecord, TaskManagerView } from '../slot-registry';
import { assertValidLease, assertValidTaskManagerRecord } from '../slot-registry-validation';

export interface InMemorySlotRegistryOptions {
  /** Epoch-ms clock used for leases; tests inject a manual one. Default `Date.now`. */
  clock?: () => number;
}

interface Entry {
  record: TaskManagerRecord;
  leaseExpiresAt: number;
  allocations: Map<number, SlotAllocation>;
}

/**
 * Embedded slot registry (docs/architecture.md §10): one process, no Redis, the same semantics as
 * RedisSlotRegistry (the contract suite runs against both). Every method body runs without
 * awaiting, so each operation is atomic with respect to concurrent callers in this process.
 *
 * A TaskManager is live while `leaseExpiresAt > clock()`; expired entries are absent for
 * every operation and deleted when found. Values are copied in and out, so callers cannot
 * alter the registry through objects they hold.
 *
 * `close()` releases nothing (there is nothing to release) and leaves the registry usable, so
 * several components of one process can share an instance and each close it.
 */
export class InMemorySlotRegistry implements SlotRegistry {
  private readonly entries = new Map<string, Entry>();
  /** Highest fencing token of a fenced allocation; lower ones are refused (STALE_LEADER). */
  private highestFencingToken = 0;
  private readonly clock: () => number;
  private readonly log = createLogger('in-memory-slot-registry');

  constructor(options: InMemorySlotRegistryOptions = {}) {
    this.clock = options.clock ?? Date.now;
  }

  /** Replaces the record, drops its allocations and starts a lease of `leaseMs`. */
  async registerTaskManager(record: TaskManagerRecord, leaseMs: number): Promise<void> {
    assertValidTaskManagerRecord(record);
    assertValidLease(leaseMs);
    const now = this.clock();
    this.purgeExpired(now);
    this.entries.set(record.id, {
      record: copyRecord(record),
      leaseExpiresAt: now + leaseMs,
      allocations: new Map(),
    });
  }

  /** Sets the lease to now + `leaseMs` if still live; an expired lease is never revived. */
  async heartbeat(taskManagerId: string, leaseMs: number): Promise<boolean> {
    assertValidLease(leaseMs);
    const now = this.clock();
    const entry = this.live(taskManagerId, now);
    if (entry === undefined) return false;
    entry.leaseExpiresAt = now + leaseMs;
    return true;
  }

  /** Removes the TaskManager and its allocations. Idempotent. */
  async unregisterTaskManager(taskManagerId: string): Promise<void> {
    this.entries.delete(taskManagerId);
  }

  /** Live TaskManagers sorted by id, allocations sorted by slot index. */
  async listTaskManagers(): Promise<TaskManagerView[]> {
    this.purgeExpired(this.clock());
    const ids = [...this.entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return ids.map((id) => {
      const entry = this.entries.get(id) as Entry;
      const allocations = [...entry.allocations.values()]
        .sort((a, b) => a.slotIndex - b.slotIndex)
        .map(copyAllocation);
      return { ...copyRecord(entry.record), allocations, leaseExpiresAt: entry.leaseExpiresAt };
    });
  }

  /** Same checks in the same order as allocate-slot.lua; a retry by the holder returns true. */
  async allocateSlot(request: SlotAllocation): Promise<boolean> {
    const outcome = this.tryAllocate(request);
    this.log.debug(
      {
        taskManagerId: request.taskManagerId,
        slotIndex: request.slotIndex,
        allocationId: request.allocationId,
        jobId: request.jobId,
        outcome,
      },
      'allocateSlot',
    );
    return isAllocationSuccess(outcome);
  }

  /** Frees the slot only when `allocationId` holds it on a live TaskManager. */
  async freeSlot(taskManagerId: string, slotIndex: number, allocationId: string): Promise<boolean> {
    const entry = this.live(taskManagerId, this.clock());
    if (entry?.allocations.get(slotIndex)?.allocationId !== allocationId) return false;
    entry.allocations.delete(slotIndex);
    return true;
  }

  /** Frees the job's slots on every live TaskManager; returns how many. */
  async freeJobSlots(jobId: string): Promise<number> {
    this.purgeExpired(this.clock());
    let freed = 0;
    for (const entry of this.entries.values()) {
      for (const [slot, allocation] of entry.allocations) {
        if (allocation.jobId !== jobId) continue;
        entry.allocations.delete(slot);
        freed++;
      }
    }
    return freed;
  }

  async close(): Promise<void> {
    // Nothing to release; see the class comment.
  }

  private tryAllocate(request: SlotAllocation): SlotAllocationOutcome {
    if (request.fencingToken !== undefined) {
      if (request.fencingToken < this.highestFencingToken) return 'STALE_LEADER';
      this.highestFencingToken = request.fencingToken;
    }
    const entry = this.live(request.taskManagerId, this.clock());
    if (entry === undefined) return 'TASK_MANAGER_NOT_LIVE';
    const { slotIndex } = request;
    if (!Number.isInteger(slotIndex) || slotIndex < 0 || slotIndex >= entry.record.numberOfSlots) {
      return 'SLOT_OUT_OF_RANGE';
    }
    const current = entry.allocations.get(slotIndex);
    if (current !== undefined) {
      return current.allocationId === request.allocationId ? 'ALREADY_ALLOCATED' : 'SLOT_TAKEN';
    }
    if (request.profile !== undefined && !fitsResources(entry, request.profile)) {
      return 'INSUFFICIENT_RESOURCES';
    }
    entry.allocations.set(slotIndex, copyAllocation(request));
    return 'ALLOCATED';
  }

  /** The entry when live; deletes it when its lease has expired. */
  private live(taskManagerId: string, now: number): Entry | undefined {
    const entry = this.entries.get(taskManagerId);
    if (entry === undefined) return undefined;
    if (entry.leaseExpiresAt > now) return entry;
    this.entries.delete(taskManagerId);
    return undefined;
  }

  private purgeExpired(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.leaseExpiresAt <= now) this.entries.delete(id);
    }
  }
}

/** Allocated known profiles plus `requested` must fit the total; unknown profiles cost nothing. */
function fitsResources(entry: Entry, requested: ResourceProfile): boolean {
  let used = requested;
  for (const allocation of entry.allocations.values()) {
    if (allocation.profile !== undefined) used = addProfiles(used, allocation.profile);
  }
  return profileFits(used, entry.record.totalResources);
}

function copyProfile(p: ResourceProfile): ResourceProfile {
  return addProfiles(ZERO_PROFILE, p);
}

function copyRecord(record: TaskManagerRecord): TaskManagerRecord {
  const copy: TaskManagerRecord = {
    id: record.id,
    dataHost: record.dataHost,
    dataPort: record.dataPort,
    numberOfSlots: record.numberOfSlots,
    totalResources: copyProfile(record.totalResources),
    registeredAt: record.registeredAt,
  };
  if (record.slotProfile !== undefined) copy.slotProfile = copyProfile(record.slotProfile);
  return copy;
}

function copyAllocation(allocation: SlotAllocation): SlotAllocation {
  const copy: SlotAllocation = {
    taskManagerId: allocation.taskManagerId,
    slotIndex: allocation.slotIndex,
    allocationId: allocation.allocationId,
    jobId: allocation.jobId,
  };
  if (allocation.profile !== undefined) copy.profile = copyProfile(allocation.profile);
  return copy;
}
