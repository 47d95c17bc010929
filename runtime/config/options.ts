import { CHECKPOINTING_OPTIONS } from './options-checkpointing';
import { CLUSTER_OPTIONS } from './options-cluster';
import { PIPELINE_OPTIONS } from './options-pipeline';
import { RESOURCE_OPTIONS } from './options-resources';
import { RESTART_OPTIONS } from './options-restart';
import { STORAGE_OPTIONS } from './options-storage';
import { TASKMANAGER_OPTIONS } from './options-taskmanager';
import type { ConfigValues, CrossKeyCheck } from './schema';

/**
 * Every configuration key Sluice knows, in the order the docs list them. The declarations live
 * in the `options-*.ts` files by area; a derived default may only read keys declared before it.
 */
export const CONFIG_OPTIONS = {
  ...PIPELINE_OPTIONS,
  ...CHECKPOINTING_OPTIONS,
  ...TASKMANAGER_OPTIONS,
  ...CLUSTER_OPTIONS,
  ...RESTART_OPTIONS,
  ...STORAGE_OPTIONS,
  ...RESOURCE_OPTIONS,
};

export type ConfigKey = keyof typeof CONFIG_OPTIONS;

/** The validated, frozen configuration: `config['taskmanager.numberOfTaskSlots']`. */
export type ResolvedConfig = ConfigValues<typeof CONFIG_OPTIONS>;

/**
 * `SLUICE_*` environment variables that are not config keys but are read elsewhere, so loading
 * the config must not reject them as unknown:
 * - `SLUICE_CONFIG`: path of the YAML config file (same as `--config`).
 * - `SLUICE_LOG_LEVEL`: pino log level (`runtime/util/logger.ts`).
 * - `SLUICE_TOKEN`: bearer token the CLI sends to the REST API.
 * - `SLUICE_REST_URL`: REST address the CLI talks to.
 * - `SLUICE_TARGET`: deployment target the CLI and local launcher pick.
 * - `SLUICE_DEBUG`: the CLI prints stack traces of errors.
 * - `SLUICE_LOG_FORMAT`: `json` keeps JSON logs on a terminal.
 */
export const RESERVED_ENV_VARS = [
  'SLUICE_CONFIG',
  'SLUICE_LOG_LEVEL',
  'SLUICE_TOKEN',
  'SLUICE_REST_URL',
  'SLUICE_DEBUG',
  'SLUICE_LOG_FORMAT',
  'SLUICE_TARGET',
] as const;

/** Rules across keys, checked after each key is valid on its own. */
export const CROSS_KEY_CHECKS: readonly CrossKeyCheck<ResolvedConfig>[] = [
  {
    keys: ['s3.bucket', 'storage.type'],
    check: (c) =>
      c['storage.type'] === 's3' && c['s3.bucket'] === undefined
        ? 'required when storage.type is s3'
        : undefined,
  },
  {
    keys: ['high-availability.redis.url', 'high-availability.type'],
    check: (c) =>
      c['high-availability.type'] === 'redis' && c['high-availability.redis.url'] === undefined
        ? 'required when high-availability.type is redis'
        : undefined,
  },
  {
    keys: [
      'high-availability.redis.leader-election.renew-deadline',
      'high-availability.redis.leader-election.lease-duration',
    ],
    check: (c) =>
      c['high-availability.redis.leader-election.renew-deadline'] >=
      c['high-availability.redis.leader-election.lease-duration']
        ? 'must be less than high-availability.redis.leader-election.lease-duration, so a leader steps down before its lease can pass'
        : undefined,
  },
  {
    keys: [
      'high-availability.redis.leader-election.retry-period',
      'high-availability.redis.leader-election.renew-deadline',
    ],
    check: (c) =>
      c['high-availability.redis.leader-election.retry-period'] >=
      c['high-availability.redis.leader-election.renew-deadline']
        ? 'must be less than high-availability.redis.leader-election.renew-deadline, so a leader renews at least once before it steps down'
        : undefined,
  },
  {
    keys: ['heartbeat.timeout', 'heartbeat.interval'],
    check: (c) =>
      c['heartbeat.timeout'] <= c['heartbeat.interval']
        ? `must be greater than heartbeat.interval (${c['heartbeat.timeout']} ms <= ${c['heartbeat.interval']} ms)`
        : undefined,
  },
  {
    keys: [
      'restart-strategy.exponential-delay.max-backoff',
      'restart-strategy.exponential-delay.initial-backoff',
    ],
    check: (c) =>
      c['restart-strategy.exponential-delay.max-backoff'] <
      c['restart-strategy.exponential-delay.initial-backoff']
        ? 'must not be less than restart-strategy.exponential-delay.initial-backoff'
        : undefined,
  },
];
