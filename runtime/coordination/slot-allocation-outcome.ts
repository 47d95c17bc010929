/**
 * Why `SlotRegistry.allocateSlot` succeeded or failed. The port returns a boolean; adapters use
 * this shared vocabulary internally (the Redis Lua script returns these strings) and log it,
 * so both adapters fail for the same reasons in the same order.
 */
export type SlotAllocationOutcome =
  /** The slot was free and is now held by the allocation. */
  | 'ALLOCATED'
  /** The slot was already held by the same allocation id: a retried call succeeds. */
  | 'ALREADY_ALLOCATED'
  /** The request carries a fencing token lower than the highest seen: a newer leader exists. */
  | 'STALE_LEADER'
  /** The TaskManager is unknown or its lease has expired. */
  | 'TASK_MANAGER_NOT_LIVE'
  /** The slot index is not an integer in [0, numberOfSlots). */
  | 'SLOT_OUT_OF_RANGE'
  /** Another allocation holds the slot. */
  | 'SLOT_TAKEN'
  /** Known profile only: allocated profiles + requested exceed the total resources. */
  | 'INSUFFICIENT_RESOURCES';

export function isAllocationSuccess(outcome: SlotAllocationOutcome): boolean {
  return outcome === 'ALLOCATED' || outcome === 'ALREADY_ALLOCATED';
}
