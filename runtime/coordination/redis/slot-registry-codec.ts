import { z } from 'zod';
import { CoordinationError } from '../../errors';
import type { ResourceProfile } from '../../deployment/resource-profile';
import type { SlotAllocation, TaskManagerRecord } from '../slot-registry';

/**
 * How slot registry values look in Redis. A TaskManager record is a hash of plain fields with
 * its profiles as JSON (the Lua allocation script decodes `totalResources`); an allocation is
 * one JSON value per slot: `{"allocationId","jobId","profile"?}` (no `profile` = unknown).
 * Values are parsed strictly: a malformed entry is a bug or a foreign writer, not a state to
 * guess around.
 */
const profileSchema = z.object({
  cpuCores: z.number(),
  heapMb: z.number(),
  directMb: z.number(),
  nativeMb: z.number(),
  networkMb: z.number(),
  managedMb: z.number(),
});

const storedAllocationSchema = z.object({
  allocationId: z.string(),
  jobId: z.string(),
  profile: profileSchema.optional(),
});

/** Flat `field, value, …` list for HSET. */
export function encodeRecord(record: TaskManagerRecord): string[] {
  const hash: Record<string, string> = {
    id: record.id,
    dataHost: record.dataHost,
    dataPort: String(record.dataPort),
    numberOfSlots: String(record.numberOfSlots),
    totalResources: JSON.stringify(pickProfile(record.totalResources)),
    registeredAt: String(record.registeredAt),
  };
  if (record.slotProfile !== undefined) hash.slotProfile = JSON.stringify(pickProfile(record.slotProfile));
  return Object.entries(hash).flat();
}

/** Decodes an HGETALL reply given as a flat `field, value, …` list. */
export function decodeRecord(flat: readonly string[]): TaskManagerRecord {
  const hash = toMap(flat);
  const field = (name: string): string => {
    const value = hash.get(name);
    if (value === undefined) throw new CoordinationError(`TaskManager record in Redis lacks field '${name}'`);
    return value;
  };
  const record: TaskManagerRecord = {
    id: field('id'),
    dataHost: field('dataHost'),
    dataPort: toNumber(field('dataPort'), 'dataPort'),
    numberOfSlots: toNumber(field('numberOfSlots'), 'numberOfSlots'),
    totalResources: parseJson(profileSchema, field('totalResources'), 'totalResources'),
    registeredAt: toNumber(field('registeredAt'), 'registeredAt'),
  };
  const slotProfile = hash.get('slotProfile');
  if (slotProfile !== undefined) record.slotProfile = parseJson(profileSchema, slotProfile, 'slotProfile');
  return record;
}

/** The JSON stored in the allocations hash for one slot. */
export function encodeAllocation(allocation: SlotAllocation): string {
  const stored: z.infer<typeof storedAllocationSchema> = {
    allocationId: allocation.allocationId,
    jobId: allocation.jobId,
  };
  if (allocation.profile !== undefined) stored.profile = pickProfile(allocation.profile);
  return JSON.stringify(stored);
}

/** Decodes an allocations hash (flat `slotIndex, json, …`), sorted by slot index. */
export function decodeAllocations(taskManagerId: string, flat: readonly string[]): SlotAllocation[] {
  const out: SlotAllocation[] = [];
  for (const [slot, json] of toMap(flat)) {
    const stored = parseJson(storedAllocationSchema, json, `allocation of slot ${slot}`);
    const allocation: SlotAllocation = {
      taskManagerId,
      slotIndex: toNumber(slot, 'slot index'),
      allocationId: stored.allocationId,
      jobId: stored.jobId,
    };
    if (stored.profile !== undefined) allocation.profile = stored.profile;
    out.push(allocation);
  }
  return out.sort((a, b) => a.slotIndex - b.slotIndex);
}

/** Only the profile's own fields, so extra properties on a caller's object are not stored. */
function pickProfile(p: ResourceProfile): ResourceProfile {
  const { cpuCores, heapMb, directMb, nativeMb, networkMb, managedMb } = p;
  return { cpuCores, heapMb, directMb, nativeMb, networkMb, managedMb };
}

function toMap(flat: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i] as string, flat[i + 1] as string);
  return map;
}

function toNumber(value: string, what: string): number {
  const n = Number(value);
  if (value === '' || !Number.isFinite(n))
    throw new CoordinationError(`invalid ${what} in Redis: '${value}'`);
  return n;
}

function parseJson<T>(schema: z.ZodType<T>, json: string, what: string): T {
  try {
    return schema.parse(JSON.parse(json));
  } catch (err) {
    throw new CoordinationError(`invalid ${what} in Redis`, { cause: err });
  }
}
