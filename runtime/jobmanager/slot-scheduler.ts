import type { SlotRegistry, TaskManagerView } from '../coordination/slot-registry';
import { NoResourcesError } from '../errors';
import type { JobGraph } from '../graph/job-graph';
import type { ResourceProfile } from '../deployment/resource-profile';
import {
  describeProfile,
  profileFits,
  subtractProfiles,
  addProfiles,
  ZERO_PROFILE,
} from '../deployment/resource-profile';
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
 * Slot sharing (docs/architecture.md §4): subtask k of every vertex of a sharing group runs in the group's
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
  /** The leader's fencing token, carried by every allocation so a stale leader's are refused. */
  readonly fencingToken?: () => number;
  /** Called with what the job waits for while the cluster lacks slots, and `undefined` once it has them. */
  readonly onWaiting?: (wait: SlotWait | undefined) => void;
  /**
   * Subscribes to news that may free or add slots (a TaskManager registered); a round waiting
   * for slots then starts at once instead of after its poll interval. Returns an unsubscribe.
   */
  readonly onResourcesChanged?: (listener: () => void) => () => void;
}

/** Why a job is not running yet: it needs `needed` slots and only `available` are free. */
export interface SlotWait {
  readonly needed: number;
  readonly available: number;
}

/** A planned slot: where one request would go, before the registry has been asked. */
interface Placement {
  readonly request: SlotRequest;
  readonly tm: TaskManagerView;
  readonly slotIndex: number;
}

/**
 * Allocates every requested slot or none (Flink's declarative slot management waits for
 * sufficient resources): each round plans the whole job on the current view of the cluster,
 * and only when every slot fits does it claim them, spreading them over TaskManagers (most
 * free slots first). A claim that loses a race frees what it got at once and retries, so a
 * job too big for the cluster never holds slots other jobs could use. After `timeoutMs`
 * it throws a `NoResourcesError` that says which slots of which profile were missing.
 */
export async function allocateSlots(
  requests: readonly SlotRequest[],
  registry: SlotRegistry,
  usableTaskManagers: () => Promise<TaskManagerView[]>,
  options: AllocationOptions,
): Promise<SlotAssignment[]> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const views = await usableTaskManagers();
    const { placements, missing } = planPlacements(requests, views);
    if (missing.length === 0) {
      const held = await claimAll(placements, registry, options);
      if (held) {
        options.onWaiting?.(undefined);
        return held;
      }
    } else {
      options.onWaiting?.({ needed: requests.length, available: freeSlots(views) });
    }
    if (Date.now() >= deadline || options.isCanceled?.()) {
      // Lost a race at the deadline: nothing is missing in the plan, so name every slot as missing.
      const unmet = missing.length > 0 ? missing : requests;
      throw new NoResourcesError(missingSlotsMessage(options, requests, unmet, views));
    }
    // Jitter: two jobs that lost a race to each other do not retry in lockstep.
    const pollMs = options.pollMs ?? 200;
    const jittered = pollMs + Math.floor(Math.random() * pollMs);
    // Only a plan that lacked slots is worth redoing on news; a lost race keeps its jitter.
    await (missing.length > 0 ? pauseUnlessChanged(jittered, options.onResourcesChanged) : sleep(jittered));
  }
}

/** Waits `ms`, or less when `onChanged` reports a change meanwhile. */
function pauseUnlessChanged(
  ms: number,
  onChanged: ((listener: () => void) => () => void) | undefined,
): Promise<void> {
  if (!onChanged) return sleep(ms);
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unsubscribe = onChanged(done);
  });
}

/** Places every request on a copy of the cluster view; what does not fit is `missing`. */
function planPlacements(
  requests: readonly SlotRequest[],
  views: readonly TaskManagerView[],
): { placements: Placement[]; missing: SlotRequest[] } {
  const planned = views.map((tm) => ({ ...tm, allocations: [...tm.allocations] }));
  const placements: Placement[] = [];
  const missing: SlotRequest[] = [];
  for (const request of requests) {
    const placement = placeOne(request, planned);
    if (placement) placements.push(placement);
    else missing.push(request);
  }
  return { placements, missing };
}

function placeOne(request: SlotRequest, views: TaskManagerView[]): Placement | undefined {
  const candidates = views
    .filter((tm) => tm.allocations.length < tm.numberOfSlots && fits(request.profile, tm))
    .sort(
      (a, b) =>
        b.numberOfSlots - b.allocations.length - (a.numberOfSlots - a.allocations.length) ||
        a.id.localeCompare(b.id),
    );
  const tm = candidates[0];
  if (!tm) return undefined;
  const taken = new Set(tm.allocations.map((a) => a.slotIndex));
  let slotIndex = 0;
  while (taken.has(slotIndex)) slotIndex++;
  // Keep the planned view current for the next request.
  tm.allocations.push({
    taskManagerId: tm.id,
    slotIndex,
    allocationId: '',
    jobId: '',
    ...(request.profile ? { profile: request.profile } : {}),
  });
  return { request, tm, slotIndex };
}

/** Claims every planned slot; when one was taken meanwhile, frees the others and returns undefined. */
async function claimAll(
  placements: readonly Placement[],
  registry: SlotRegistry,
  options: AllocationOptions,
): Promise<SlotAssignment[] | undefined> {
  const held: SlotAssignment[] = [];
  for (const placement of placements) {
    const got = await claimOne(placement, registry, options);
    if (!got) {
      await Promise.all(held.map((s) => registry.freeSlot(s.taskManagerId, s.slotIndex, s.allocationId)));
      return undefined;
    }
    held.push(got);
  }
  return held;
}

async function claimOne(
  { request, tm, slotIndex }: Placement,
  registry: SlotRegistry,
  options: AllocationOptions,
): Promise<SlotAssignment | undefined> {
  const allocationId = `${options.jobId}-${options.attempt}-${request.group}-${request.index}`;
  const allocation = {
    taskManagerId: tm.id,
    slotIndex,
    allocationId,
    jobId: options.jobId,
    ...(request.profile ? { profile: request.profile } : {}),
    ...(options.fencingToken ? { fencingToken: options.fencingToken() } : {}),
  };
  if (!(await registry.allocateSlot(allocation))) return undefined;
  return {
    ...request,
    taskManagerId: tm.id,
    dataHost: tm.dataHost,
    dataPort: tm.dataPort,
    slotIndex,
    allocationId,
    heapMb: request.profile?.heapMb ?? Math.max(16, Math.floor(tm.totalResources.heapMb / tm.numberOfSlots)),
  };
}

function freeSlots(views: readonly TaskManagerView[]): number {
  return views.reduce((n, tm) => n + Math.max(0, tm.numberOfSlots - tm.allocations.length), 0);
}

/** The status detail of a job waiting for slots, as REST, `sluice info` and the CLI show it. */
export function describeSlotWait(wait: SlotWait): string {
  return `waiting for slots: needs ${wait.needed}, ${wait.available} available`;
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
  missing: readonly SlotRequest[],
  views: readonly TaskManagerView[],
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
  const free = freeSlots(views);
  return (
    `could not allocate the slots of job '${options.jobName}' within ${options.timeoutMs} ms: ${groups}. ` +
    `The cluster has ${views.length} TaskManagers with ${total} slots, ${free} free (slot.request.timeout).`
  );
}
