import type { SlotRegistry, TaskManagerView } from '../coordination/slot-registry';
import { NoResourcesError } from '../errors';
import type { JobGraph } from '../graph/job-graph';
import type { ResourceProfile } from '../taskmanager/resource-profile';
import {
  describeProfile,
  profileFits,
  subtractProfiles,
  addProfiles,
  ZERO_PROFILE,
} from '../taskmanager/resource-profile';
import { sleep } from '../util/wait';

/** One slot requested by a job: the k-th shared slot of a slot sharing group. */
export interface SlotRequest {
  readonly group: string;
  readonly index: number;
  readonly profile?: ResourceProfile;
}

/** A slot the job holds. */
export interface SlotAssignment extends SlotRequest {
  readonly taskManagerId: string;
  readonly dataHost: string;
  readonly dataPort: number;
  readonly slotIndex: number;
  readonly allocationId: string;
  /** Heap for each task thread in the slot: the profile's, else the TaskManager's share per slot. */
  readonly heapMb: number;
}

/**
 * Slot sharing (DESIGN §4): subtask k of every vertex of a sharing group runs in the group's
 * k-th slot, so a group needs as many slots as its highest parallelism, and one slot can hold
 * a whole pipeline.
 */
export function slotRequests(jobGraph: JobGraph): SlotRequest[] {
  const groups = new Map<string, { count: number; profile?: ResourceProfile }>();
  for (const v of jobGraph.vertices) {
    const g = groups.get(v.slotSharingGroup) ?? { count: 0 };
    g.count = Math.max(g.count, v.parallelism);
    if (v.resources) g.profile = v.resources;
    groups.set(v.slotSharingGroup, g);
  }
  return [...groups].flatMap(([group, g]) =>
    Array.from({ length: g.count }, (_, index) => ({
      group,
      index,
      ...(g.profile ? { profile: g.profile } : {}),
    })),
  );
}

export interface AllocationOptions {
  readonly jobId: string;
  readonly jobName: string;
  readonly attempt: number;
  readonly timeoutMs: number;
  readonly pollMs?: number;
  readonly isCanceled?: () => boolean;
}

/**
 * Allocates every requested slot, spreading them over TaskManagers (most free slots first).
 * Waits while slots are missing; after `timeoutMs` frees what it got and throws a
 * `NoResourcesError` that says which slots of which profile were missing.
 */
export async function allocateSlots(
  requests: readonly SlotRequest[],
  registry: SlotRegistry,
  usableTaskManagers: () => Promise<TaskManagerView[]>,
  options: AllocationOptions,
): Promise<SlotAssignment[]> {
  const deadline = Date.now() + options.timeoutMs;
  const held: SlotAssignment[] = [];
  let pending = [...requests];
  for (;;) {
    const views = await usableTaskManagers();
    const still: SlotRequest[] = [];
    for (const request of pending) {
      const got = await allocateOne(request, views, registry, options);
      if (got) held.push(got);
      else still.push(request);
    }
    pending = still;
    if (pending.length === 0) return held;
    if (Date.now() >= deadline || options.isCanceled?.()) {
      await Promise.all(held.map((s) => registry.freeSlot(s.taskManagerId, s.slotIndex, s.allocationId)));
      throw new NoResourcesError(missingSlotsMessage(options, requests, pending, await usableTaskManagers()));
    }
    await sleep(options.pollMs ?? 200);
  }
}

async function allocateOne(
  request: SlotRequest,
  views: TaskManagerView[],
  registry: SlotRegistry,
  options: AllocationOptions,
): Promise<SlotAssignment | undefined> {
  const candidates = views
    .filter((tm) => tm.allocations.length < tm.numberOfSlots && fits(request.profile, tm))
    .sort(
      (a, b) =>
        b.numberOfSlots - b.allocations.length - (a.numberOfSlots - a.allocations.length) ||
        a.id.localeCompare(b.id),
    );
  const allocationId = `${options.jobId}-${options.attempt}-${request.group}-${request.index}`;
  for (const tm of candidates) {
    const taken = new Set(tm.allocations.map((a) => a.slotIndex));
    for (let slotIndex = 0; slotIndex < tm.numberOfSlots; slotIndex++) {
      if (taken.has(slotIndex)) continue;
      const allocation = {
        taskManagerId: tm.id,
        slotIndex,
        allocationId,
        jobId: options.jobId,
        ...(request.profile ? { profile: request.profile } : {}),
      };
      if (!(await registry.allocateSlot(allocation))) continue;
      tm.allocations.push(allocation); // keep the local view current for the next request
      return {
        ...request,
        taskManagerId: tm.id,
        dataHost: tm.dataHost,
        dataPort: tm.dataPort,
        slotIndex,
        allocationId,
        heapMb:
          request.profile?.heapMb ?? Math.max(16, Math.floor(tm.totalResources.heapMb / tm.numberOfSlots)),
      };
    }
  }
  return undefined;
}

function fits(profile: ResourceProfile | undefined, tm: TaskManagerView): boolean {
  if (!profile) return true;
  const used = tm.allocations.reduce(
    (sum, a) => (a.profile ? addProfiles(sum, a.profile) : sum),
    ZERO_PROFILE,
  );
  return profileFits(profile, subtractProfiles(tm.totalResources, used));
}

function missingSlotsMessage(
  options: AllocationOptions,
  all: readonly SlotRequest[],
  missing: SlotRequest[],
  views: TaskManagerView[],
): string {
  const byGroup = new Map<string, { needed: number; missing: number; profile?: ResourceProfile }>();
  for (const r of all) {
    const g = byGroup.get(r.group) ?? { needed: 0, missing: 0, ...(r.profile ? { profile: r.profile } : {}) };
    g.needed++;
    byGroup.set(r.group, g);
  }
  for (const r of missing) byGroup.get(r.group)!.missing++;
  const groups = [...byGroup]
    .filter(([, g]) => g.missing > 0)
    .map(
      ([name, g]) =>
        `slot sharing group '${name}' needs ${g.needed} slots of ${g.profile ? `profile ${describeProfile(g.profile)}` : 'any profile'}, ${g.missing} missing`,
    )
    .join('; ');
  const total = views.reduce((n, tm) => n + tm.numberOfSlots, 0);
  const free = views.reduce((n, tm) => n + tm.numberOfSlots - tm.allocations.length, 0);
  return (
    `could not allocate the slots of job '${options.jobName}' within ${options.timeoutMs} ms: ${groups}. ` +
    `The cluster has ${views.length} TaskManagers with ${total} slots, ${free} free (slot.request.timeout).`
  );
}
