import type { ResolvedConfig } from '../config';

/**
 * A resource profile (docs/architecture.md §4): cpu cores and memory in MB. In Node terms heap bounds the
 * task threads (`resourceLimits`), network sets the exchange buffers, managed sizes state caches.
 */
export interface ResourceProfile {
  cpuCores: number;
  heapMb: number;
  directMb: number;
  nativeMb: number;
  networkMb: number;
  managedMb: number;
}

export const RESOURCE_FIELDS = [
  'cpuCores',
  'heapMb',
  'directMb',
  'nativeMb',
  'networkMb',
  'managedMb',
] as const;

export const ZERO_PROFILE: ResourceProfile = Object.freeze({
  cpuCores: 0,
  heapMb: 0,
  directMb: 0,
  nativeMb: 0,
  networkMb: 0,
  managedMb: 0,
});

export function addProfiles(a: ResourceProfile, b: ResourceProfile): ResourceProfile {
  const out = { ...a };
  for (const f of RESOURCE_FIELDS) out[f] = a[f] + b[f];
  return out;
}

export function subtractProfiles(a: ResourceProfile, b: ResourceProfile): ResourceProfile {
  const out = { ...a };
  for (const f of RESOURCE_FIELDS) out[f] = a[f] - b[f];
  return out;
}

/** True when `available` covers every field of `required`. */
export function profileFits(required: ResourceProfile, available: ResourceProfile): boolean {
  return RESOURCE_FIELDS.every((f) => required[f] <= available[f] + 1e-9);
}

export function describeProfile(p: ResourceProfile): string {
  return `cpu=${p.cpuCores} heap=${p.heapMb}MB direct=${p.directMb}MB native=${p.nativeMb}MB network=${p.networkMb}MB managed=${p.managedMb}MB`;
}

/** A TaskManager's total resources from its config (docs/architecture.md §4). */
export function taskManagerResources(config: ResolvedConfig): ResourceProfile {
  return {
    cpuCores: config['taskmanager.cpu.cores'],
    heapMb: config['taskmanager.memory.heap.size'],
    directMb: config['taskmanager.memory.direct.size'],
    nativeMb: config['taskmanager.memory.native.size'],
    networkMb: config['taskmanager.memory.network.size'],
    managedMb: config['taskmanager.memory.managed.size'],
  };
}
