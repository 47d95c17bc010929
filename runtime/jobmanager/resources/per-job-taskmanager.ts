import type { ConfigKey } from '../../config';
import { envNameForKey } from '../../config';
import type { TaskManagerLaunchRequest } from './resource-driver';

/**
 * Config of a TaskManager started for one job (both resource drivers): its slots, the memory
 * of `slotsPerTaskManager` slots of the requested profile, and the job it belongs to, as
 * `SLUICE_*` environment variables.
 */
export function perJobTaskManagerEnvironment(request: TaskManagerLaunchRequest): Record<string, string> {
  const slots = request.slotsPerTaskManager;
  const p = request.slotProfile;
  const values: Partial<Record<ConfigKey, string>> = {
    'taskmanager.job-id': request.jobId,
    'taskmanager.numberOfTaskSlots': String(slots),
    'taskmanager.cpu.cores': String(Math.max(p.cpuCores * slots, 0.001)),
    'taskmanager.memory.heap.size': String(Math.max(p.heapMb * slots, 64)),
    'taskmanager.memory.direct.size': String(p.directMb * slots),
    'taskmanager.memory.native.size': String(p.nativeMb * slots),
    'taskmanager.memory.network.size': String(p.networkMb * slots),
    'taskmanager.memory.managed.size': String(p.managedMb * slots),
  };
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [envNameForKey(k as ConfigKey), v!]));
}
