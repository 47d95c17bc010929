import type { ResourceProfile } from '../deployment/resource-profile';

/**
 * Slot registry port (docs/architecture.md §4): the resource manager's view of TaskManagers and their slots.
 * Real adapter: Redis (records with a heartbeat lease, allocations changed atomically in Lua).
 * Embedded adapter: in-memory, same semantics, for one-process clusters and tests.
 */
export interface SlotRegistry {
  /**
   * Registers (or re-registers) a TaskManager with a lease of `leaseMs`. Re-registering an id
   * replaces its record and drops its allocations (the process restarted).
   */
  registerTaskManager(record: TaskManagerRecord, leaseMs: number): Promise<void>;
  /** Extends the lease. Returns false when the TaskManager is unknown or its lease has expired. */
  heartbeat(taskManagerId: string, leaseMs: number): Promise<boolean>;
  /** Removes the TaskManager and its allocations. Idempotent. */
  unregisterTaskManager(taskManagerId: string): Promise<void>;
  /** Live TaskManagers (lease not expired), sorted by id, each with its current allocations. */
  listTaskManagers(): Promise<TaskManagerView[]>;
  /**
   * Atomically allocates one slot. Fails (returns false) when the TaskManager is not live,
   * the slot index is out of range or taken, or — for a known profile — the TaskManager's
   * free resources (total minus allocated profiles) do not cover `profile`.
   * Allocations with the unknown profile are charged nothing against the total. A retry with
   * the allocation id that already holds the slot returns true (safe after a lost reply).
   * A fenced request (`fencingToken` set) also fails when a higher token was seen: a newer
   * leader exists, and this stale one must not change the registry (docs/architecture.md §9).
   */
  allocateSlot(request: SlotAllocation): Promise<boolean>;
  /** Frees a slot if it is held by `allocationId`. Returns false otherwise. Idempotent. */
  freeSlot(taskManagerId: string, slotIndex: number, allocationId: string): Promise<boolean>;
  /** Frees every slot held for a job; returns how many were freed. */
  freeJobSlots(jobId: string): Promise<number>;
  close(): Promise<void>;
}

export interface TaskManagerRecord {
  id: string;
  /** Host and port other TaskManagers use for the data exchange. */
  dataHost: string;
  dataPort: number;
  numberOfSlots: number;
  /** Total resources of the TaskManager; slots carve from it in session mode. */
  totalResources: ResourceProfile;
  /** Fixed per-slot profile (per-job mode), or undefined when slots are carved on allocation. */
  slotProfile?: ResourceProfile;
  registeredAt: number;
}

export interface SlotAllocation {
  taskManagerId: string;
  slotIndex: number;
  allocationId: string;
  jobId: string;
  /** Requested profile; `undefined` means the unknown profile (no resource check). */
  profile?: ResourceProfile;
  /**
   * Fencing token of the job manager leader that allocates; refused when lower than the highest
   * token seen (the Redis adapter keeps it in the election's fencing counter). Not stored.
   */
  fencingToken?: number;
}

export interface TaskManagerView extends TaskManagerRecord {
  allocations: SlotAllocation[];
  /** Epoch ms at which the lease expires unless renewed. */
  leaseExpiresAt: number;
}
