import { ConfigError } from '../../errors';

/** The key prefix used when none is configured. */
export const DEFAULT_REDIS_KEY_PREFIX = 'sluice';

/**
 * The one place that names Redis keys (docs/architecture.md §4). Every key Sluice writes lives under a
 * configurable prefix, so several clusters (or several tests) can share one Redis server.
 *
 * | key                               | type       | owner                                      |
 * | --------------------------------- | ---------- | ------------------------------------------ |
 * | `{p}:tms`                         | sorted set | slot registry: TaskManager ids, score = lease expiry (epoch ms, Redis clock) |
 * | `{p}:tm:{tmId}`                   | hash       | slot registry: TaskManager record          |
 * | `{p}:alloc:{tmId}`                | hash       | slot registry: slot index -> allocation JSON |
 * | `{p}:leader:lease`                | string     | leader election lease (holder contender id, `SET NX PX`) |
 * | `{p}:leader:fencing`              | string     | fencing token counter (`INCR` on every acquisition); fenced slot allocations compare with it |
 * | `{p}:leader:info`                 | hash       | leader's contender id, token, REST URL and control address; expires with the lease |
 * | `{p}:leader:changed`              | channel    | pub/sub: a new leader's token once it leads, `released` on a graceful release |
 * | `{p}:job:{jobId}:chk:counter`     | string     | checkpoint id counter (`INCR`, see RedisCheckpointIdCounter) |
 * | `{p}:job:{jobId}:chk:latest`      | string     | reserved: pointer to the latest completed checkpoint |
 *
 * Some Lua scripts reach keys of other TaskManagers (purging expired ones, freeing a job's
 * slots); they receive the `…Prefix()` values below as ARGV and append ids, so the key shape
 * is still decided here. Such undeclared keys are fine on a single-shard Redis (the deployed
 * ElastiCache is one shard). On Redis Cluster, use a hash-tagged prefix such as `{sluice}`
 * so every key lands in one hash slot.
 */
export class RedisKeys {
  readonly prefix: string;

  constructor(prefix: string = DEFAULT_REDIS_KEY_PREFIX) {
    // Whitespace or an empty prefix would make keys ambiguous or awkward to inspect in redis-cli.
    if (!/^[A-Za-z0-9_.:{}-]+$/.test(prefix)) {
      throw new ConfigError(`invalid Redis key prefix '${prefix}': use letters, digits and _ . : { } -`);
    }
    this.prefix = prefix;
  }

  /** Sorted set of registered TaskManager ids scored by lease expiry (epoch ms). */
  taskManagers(): string {
    return `${this.prefix}:tms`;
  }

  /** Hash holding one TaskManager's record. */
  taskManager(taskManagerId: string): string {
    return `${this.taskManagerPrefix()}${taskManagerId}`;
  }

  /** `taskManager(id)` minus the id, for Lua scripts that derive keys of other TaskManagers. */
  taskManagerPrefix(): string {
    return `${this.prefix}:tm:`;
  }

  /** Hash of one TaskManager's allocated slots: field = slot index, value = allocation JSON. */
  allocations(taskManagerId: string): string {
    return `${this.allocationsPrefix()}${taskManagerId}`;
  }

  /** `allocations(id)` minus the id, for Lua scripts that derive keys of other TaskManagers. */
  allocationsPrefix(): string {
    return `${this.prefix}:alloc:`;
  }

  /** Leader election: the lease key (value = holder contender id, `SET NX PX`). */
  leaderLease(): string {
    return `${this.prefix}:leader:lease`;
  }

  /** Leader election: the fencing token counter, incremented on every acquisition. */
  fencingCounter(): string {
    return `${this.prefix}:leader:fencing`;
  }

  /** Leader election: the current leader's token and REST and control addresses. */
  leaderInfo(): string {
    return `${this.prefix}:leader:info`;
  }

  /**
   * Leader election: the pub/sub channel where a new leader publishes its token (once it acts
   * as leader) and a release publishes `released`, so TaskManagers and standbys need not wait for their next poll.
   */
  leaderChannel(): string {
    return `${this.prefix}:leader:changed`;
  }

  /** The checkpoint id counter of one job (RedisCheckpointIdCounter). */
  checkpointIdCounter(jobId: string): string {
    return `${this.prefix}:job:${jobId}:chk:counter`;
  }

  /** Reserved for the pointer to a job's latest completed checkpoint (fenced check-and-set). */
  latestCheckpointPointer(jobId: string): string {
    return `${this.prefix}:job:${jobId}:chk:latest`;
  }

  /** Glob matching every key under this prefix (for inspection and test cleanup, not hot paths). */
  pattern(): string {
    return `${this.prefix}:*`;
  }
}
