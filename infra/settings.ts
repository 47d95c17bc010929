import { ConfigError } from '../runtime/errors';

/**
 * Deployment settings for the Sluice CDK app (docs/architecture.md §12). `infra/app.ts` is the only place
 * that reads CDK context or the environment; it turns them into this typed object, and the
 * stacks only ever see typed props derived from it. Tests build the same object directly.
 */
export interface SluiceDeploymentSettings {
  /** Concrete account/region, or undefined for an environment-agnostic synth. */
  env?: { account: string; region: string };
  /** Prefix of stack names, queue names and task-definition families (`sluice`). */
  namePrefix: string;
  /** Key prefix inside the bucket under which Sluice writes (`sluice` → `s3://b/sluice/...`). */
  s3Prefix: string;
  /** Days after which objects under `<s3Prefix>/checkpoints/` expire. Savepoints never do. */
  checkpointExpirationDays: number;
  /** Days after which noncurrent versions of checkpoint objects are removed. */
  noncurrentVersionExpirationDays: number;
  /** NAT gateways for the private subnets: 2 keeps egress alive when one AZ fails. */
  natGateways: number;
  redis: RedisSettings;
  /** SQS queue name prefix; the runtime creates `<prefix>-<...>.fifo` queues under it. */
  exchangeQueuePrefix: string;
  /** Cloud Map private DNS namespace (`sluice.local`). */
  serviceDiscoveryNamespace: string;
  jobManager: FargateSize;
  taskManager: TaskManagerSettings;
  /** CloudWatch log retention in days; must be a value CloudWatch accepts (1, 3, 5, 7, 14, 30…). */
  logRetentionDays: number;
  image: ImageSource;
}

export interface RedisSettings {
  nodeType: string;
  /** Nodes in the replication group (one primary, the rest replicas); at least 2 for failover. */
  nodeCount: number;
  engineVersion: string;
}

export interface FargateSize {
  /** Task CPU units (1024 = 1 vCPU). */
  cpu: number;
  memoryMiB: number;
}

export interface TaskManagerSettings extends FargateSize {
  /** `taskmanager.numberOfTaskSlots` of the session-mode TaskManagers. */
  slots: number;
  minCount: number;
  maxCount: number;
  /** CPU utilisation the target-tracking policy aims for, in percent. */
  targetCpuPercent: number;
}

/** Where the one image for both roles comes from. */
export type ImageSource =
  { kind: 'asset'; directory: string; file?: string } | { kind: 'registry'; uri: string };

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export const DEFAULT_DEPLOYMENT_SETTINGS: Omit<SluiceDeploymentSettings, 'image'> = Object.freeze({
  namePrefix: 'sluice',
  s3Prefix: 'sluice',
  checkpointExpirationDays: 7,
  noncurrentVersionExpirationDays: 3,
  natGateways: 2,
  redis: { nodeType: 'cache.t4g.small', nodeCount: 2, engineVersion: '7.1' },
  exchangeQueuePrefix: 'sluice-exchange',
  serviceDiscoveryNamespace: 'sluice.local',
  jobManager: { cpu: 1024, memoryMiB: 2048 },
  taskManager: { cpu: 2048, memoryMiB: 4096, slots: 2, minCount: 1, maxCount: 4, targetCpuPercent: 70 },
  logRetentionDays: 30,
});

/** Fills defaults and validates; throws ConfigError naming the offending setting. */
export function resolveDeploymentSettings(
  overrides: Partial<Omit<SluiceDeploymentSettings, 'redis' | 'taskManager' | 'jobManager'>> & {
    image: ImageSource;
    redis?: Partial<RedisSettings>;
    jobManager?: Partial<FargateSize>;
    taskManager?: Partial<TaskManagerSettings>;
  },
): SluiceDeploymentSettings {
  const d = DEFAULT_DEPLOYMENT_SETTINGS;
  const settings: SluiceDeploymentSettings = {
    ...d,
    ...overrides,
    redis: { ...d.redis, ...overrides.redis },
    jobManager: { ...d.jobManager, ...overrides.jobManager },
    taskManager: { ...d.taskManager, ...overrides.taskManager },
  };
  validate(settings);
  return settings;
}

function validate(s: SluiceDeploymentSettings): void {
  requireMatch('namePrefix', s.namePrefix, /^[a-z][a-z0-9-]{0,30}$/);
  requireMatch('exchangeQueuePrefix', s.exchangeQueuePrefix, /^[A-Za-z0-9_-]{1,60}$/);
  // No leading/trailing slash: the prefix is joined with '/' into keys and IAM resources.
  requireMatch('s3Prefix', s.s3Prefix, /^([A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*)?$/);
  requireMatch('serviceDiscoveryNamespace', s.serviceDiscoveryNamespace, /^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
  requireInt('checkpointExpirationDays', s.checkpointExpirationDays, 1);
  requireInt('noncurrentVersionExpirationDays', s.noncurrentVersionExpirationDays, 1);
  requireInt('natGateways', s.natGateways, 1, 2);
  requireInt('redis.nodeCount', s.redis.nodeCount, 2, 6);
  requireInt('taskManager.slots', s.taskManager.slots, 1);
  // Target tracking on CPU needs a running task to produce the metric, so at least one.
  requireInt('taskManager.minCount', s.taskManager.minCount, 1);
  requireInt('taskManager.maxCount', s.taskManager.maxCount, s.taskManager.minCount);
  requireInt('taskManager.targetCpuPercent', s.taskManager.targetCpuPercent, 10, 95);
  if (!LOG_RETENTION_DAYS.includes(s.logRetentionDays)) {
    throw new ConfigError(
      `logRetentionDays: ${s.logRetentionDays} is not a CloudWatch retention (${LOG_RETENTION_DAYS.join(', ')})`,
    );
  }
}

function requireMatch(key: string, value: string, pattern: RegExp): void {
  if (!pattern.test(value)) throw new ConfigError(`${key}: '${value}' must match ${String(pattern)}`);
}

function requireInt(key: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key}: ${value} must be an integer in [${min}, ${max}]`);
  }
}
