import type { ConfigKey, ResolvedConfig } from '../../config';
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

/** Keys a TaskManager takes from its job manager's config, so it joins the same cluster. */
const CLUSTER_KEYS: readonly ConfigKey[] = [
  'jobmanager.rpc.address',
  'rest.token',
  'heartbeat.interval',
  'heartbeat.timeout',
  'high-availability.type',
  'high-availability.redis.url',
  'high-availability.redis.password',
  'high-availability.redis.key-prefix',
  'high-availability.redis.leader-election.lease-duration',
  'high-availability.redis.leader-election.renew-deadline',
  'high-availability.redis.leader-election.retry-period',
  'storage.type',
  'storage.fs.dir',
  's3.bucket',
  's3.prefix',
  's3.endpoint',
  's3.region',
  's3.path-style-access',
  's3.access-key',
  's3.secret-key',
  'sqs.endpoint',
  'sqs.region',
  'sqs.queue-prefix',
  'sqs.wait-time',
  'sqs.dead-letter-queue-arn',
  'taskmanager.host',
];

/**
 * The `SLUICE_*` environment of a TaskManager started beside a job manager: the cluster's
 * coordination, storage, exchange and secret settings, and the control port actually bound.
 */
export function clusterEnvironment(config: ResolvedConfig, rpcPort: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of CLUSTER_KEYS) {
    const value = config[key];
    if (value !== undefined) env[envNameForKey(key)] = String(value);
  }
  env[envNameForKey('jobmanager.rpc.port')] = String(rpcPort);
  return env;
}
