import type {
  SlotAllocation,
  SlotRegistry,
  TaskManagerRecord,
  TaskManagerView,
} from '../../runtime/coordination/slot-registry';
import type { ResourceProfile } from '../../runtime/deployment/resource-profile';
import { addProfiles, ZERO_PROFILE } from '../../runtime/deployment/resource-profile';

/** Test data and handles shared by the slot registry contract suites. */
export interface ContractHarness {
  /** The handle opened for the current test. */
  registry(): SlotRegistry;
  /** Another handle on the same registry (closed after the test). */
  open(): Promise<SlotRegistry>;
  /** Allocations of one TaskManager as listed now, or undefined when it is not live. */
  allocationsOf(taskManagerId: string): Promise<TaskManagerView['allocations'] | undefined>;
}

export const LONG_LEASE_MS = 60_000;
export const SHORT_LEASE_MS = 150;

export const TOTAL: ResourceProfile = {
  cpuCores: 4,
  heapMb: 4096,
  directMb: 512,
  nativeMb: 512,
  networkMb: 256,
  managedMb: 1024,
};

export function profile(overrides: Partial<ResourceProfile>): ResourceProfile {
  return { ...ZERO_PROFILE, ...overrides };
}

export function tmRecord(id: string, overrides: Partial<TaskManagerRecord> = {}): TaskManagerRecord {
  return {
    id,
    dataHost: '127.0.0.1',
    dataPort: 6121,
    numberOfSlots: 4,
    totalResources: { ...TOTAL },
    registeredAt: 1_700_000_000_000,
    ...overrides,
  };
}

export function alloc(
  tm: string,
  slotIndex: number,
  allocationId: string,
  extra: Partial<SlotAllocation> = {},
): SlotAllocation {
  return { taskManagerId: tm, slotIndex, allocationId, jobId: 'job-1', ...extra };
}

export function usedResources(allocations: readonly SlotAllocation[]): ResourceProfile {
  return allocations.reduce((sum, a) => (a.profile ? addProfiles(sum, a.profile) : sum), ZERO_PROFILE);
}
