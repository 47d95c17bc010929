import { Redis, ReplyError } from 'ioredis';
import { z } from 'zod';
import { CoordinationError, DependencyUnavailableError, describeError } from '../../errors';
import { RESOURCE_FIELDS } from '../../deployment/resource-profile';
import { createLogger } from '../../util/logger';
import type { SlotAllocationOutcome } from '../slot-allocation-outcome';
import { isAllocationSuccess } from '../slot-allocation-outcome';
import type { SlotAllocation, SlotRegistry, TaskManagerRecord, TaskManagerView } from '../slot-registry';
import { assertValidLease, assertValidTaskManagerRecord } from '../slot-registry-validation';
import type { LuaCommandRunner, LuaCommandSpec } from './lua-scripts';
import { defineLuaCommands } from './lua-scripts';
import { RedisKeys } from './redis-keys';
import { decodeAllocations, decodeRecord, encodeAllocation, encodeRecord } from './slot-registry-codec';

export interface RedisSlotRegistryOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  url: string;
  /** Prefix of every key (see RedisKeys); default `sluice`. */
  keyPrefix?: string;
  /**
   * How long the first connection, and any one command, may take before the call fails with
   * `DependencyUnavailableError` (default 2 s for the connection, 5 s for a command).
   */
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

/** Shown by CLIENT LIST, so an operator can tell the registry's connections apart. */
export const CONNECTION_NAME = 'sluice-slot-registry';

/** Command names are namespaced so they cannot clash with ioredis's own methods. */
const SCRIPTS = {
  sluiceRegisterTaskManager: { file: 'register-task-manager.lua', numberOfKeys: 3 },
  sluiceHeartbeatTaskManager: { file: 'heartbeat.lua', numberOfKeys: 3 },
  sluiceAllocateSlot: { file: 'allocate-slot.lua', numberOfKeys: 4 },
  sluiceFreeSlot: { file: 'free-slot.lua', numberOfKeys: 3 },
  sluiceFreeJobSlots: { file: 'free-job-slots.lua', numberOfKeys: 1 },
  sluiceListTaskManagers: { file: 'list-task-managers.lua', numberOfKeys: 1 },
} as const satisfies Record<string, LuaCommandSpec>;

const OUTCOMES = [
  'ALLOCATED',
  'ALREADY_ALLOCATED',
  'TASK_MANAGER_NOT_LIVE',
  'SLOT_OUT_OF_RANGE',
  'SLOT_TAKEN',
  'INSUFFICIENT_RESOURCES',
  'STALE_LEADER',
] as const satisfies readonly SlotAllocationOutcome[];

const listReplySchema = z.array(z.tuple([z.string(), z.string(), z.array(z.string()), z.array(z.string())]));

/**
 * Slot registry in Redis (docs/architecture.md §4). Layout: see RedisKeys. Every change that reads before it
 * writes is one Lua script, so concurrent JobManagers and TaskManagers cannot interleave.
 *
 * Time: leases are stamped and checked with the Redis server's clock (`TIME` inside the
 * scripts), never with the caller's. TaskManagers heartbeat from other hosts than the
 * JobManager that lists them; one clock makes a lease mean the same to both regardless of
 * skew. So `leaseExpiresAt` is Redis time, which matches the hosts' time as far as NTP does.
 *
 * Expired TaskManagers are treated as absent by every operation and deleted lazily by the
 * script that finds them (register, list and freeJobSlots purge all expired ones).
 *
 * Owns one ioredis connection; `close()` quits it. While Redis cannot be reached every call
 * fails at once with `DependencyUnavailableError` naming the address and the connection's last
 * error (no offline queue: a caller such as a REST request must not hang until Redis returns);
 * ioredis keeps reconnecting in the background. Script errors and invalid arguments are a
 * terminal `CoordinationError`.
 */
export class RedisSlotRegistry implements SlotRegistry {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly run: LuaCommandRunner<keyof typeof SCRIPTS>;
  private readonly log = createLogger('redis-slot-registry');
  /** `host:port` of the server, without credentials: what errors and health reports name. */
  readonly address: string;
  private readonly connectTimeoutMs: number;
  /** Why the last connection attempt failed; cleared once the connection is ready again. */
  private lastError: Error | undefined;
  private closed = false;

  constructor(options: RedisSlotRegistryOptions) {
    this.keys = new RedisKeys(options.keyPrefix);
    this.address = redisAddress(options.url);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
    this.redis = new Redis(options.url, {
      // Fail fast while Redis is down: a command is sent only on a ready connection (see
      // whenReady), and one lost in a disconnect is not retried behind the caller's back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? 5_000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      connectionName: CONNECTION_NAME,
      // disconnect() arms this timer even when the socket is already gone (closing while
      // reconnecting, ioredis #1247), and it then holds the process open for its full length.
      disconnectTimeout: 200,
    });
    this.redis.on('error', (err: Error) => this.onConnectionError(err));
    this.redis.on('ready', () => {
      if (this.lastError) this.log.info({ address: this.address }, 'Redis connection restored');
      this.lastError = undefined;
    });
    this.run = defineLuaCommands(this.redis, SCRIPTS);
  }

  /** Resolves when a command can be sent now; fails fast once a connection attempt has failed. */
  async whenReady(): Promise<void> {
    if (this.redis.status === 'ready') return;
    if (this.closed) throw new CoordinationError('slot registry is closed');
    if (this.lastError) throw new DependencyUnavailableError('Redis', this.address, this.lastError);
    // The first connection (or a reconnect that has not failed yet): wait for its outcome.
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        this.redis.off('error', onError);
        if (err) reject(new DependencyUnavailableError('Redis', this.address, err));
        else resolve();
      };
      const onReady = (): void => done();
      const onError = (err: Error): void => done(err);
      const timer = setTimeout(
        () => done(new Error(`no connection within ${this.connectTimeoutMs} ms`)),
        this.connectTimeoutMs,
      );
      this.redis.once('ready', onReady);
      this.redis.once('error', onError);
    });
  }

  /** Logged once per distinct cause, not on every reconnect attempt (one every 2 s while down). */
  private onConnectionError(err: Error): void {
    const repeated = this.lastError !== undefined && describeError(this.lastError) === describeError(err);
    this.lastError = err;
    if (repeated) this.log.debug({ err, address: this.address }, 'Redis still unreachable');
    else this.log.warn({ err, address: this.address }, 'Redis connection error');
  }

  /** Replaces the record, drops its allocations and starts a lease of `leaseMs` (Redis clock). */
  async registerTaskManager(record: TaskManagerRecord, leaseMs: number): Promise<void> {
    assertValidTaskManagerRecord(record);
    assertValidLease(leaseMs);
    const id = record.id;
    await this.call('registerTaskManager', () =>
      this.run(
        'sluiceRegisterTaskManager',
        [this.keys.taskManagers(), this.keys.taskManager(id), this.keys.allocations(id)],
        [id, leaseMs, this.keys.taskManagerPrefix(), this.keys.allocationsPrefix(), ...encodeRecord(record)],
      ),
    );
  }

  /** Sets the lease to now + `leaseMs` if still live; an expired lease is never revived. */
  async heartbeat(taskManagerId: string, leaseMs: number): Promise<boolean> {
    assertValidLease(leaseMs);
    const reply = await this.call('heartbeat', () =>
      this.run('sluiceHeartbeatTaskManager', this.singleTaskManagerKeys(taskManagerId), [
        taskManagerId,
        leaseMs,
      ]),
    );
    return reply === 1;
  }

  /** Deletes record, allocations and lease in one MULTI. Idempotent. */
  async unregisterTaskManager(taskManagerId: string): Promise<void> {
    await this.call('unregisterTaskManager', async () => {
      const results = await this.redis
        .multi()
        .zrem(this.keys.taskManagers(), taskManagerId)
        .del(this.keys.taskManager(taskManagerId), this.keys.allocations(taskManagerId))
        .exec();
      const failure = results?.find(([err]) => err !== null)?.[0];
      if (failure) throw failure;
    });
  }

  /** One atomic snapshot of the live TaskManagers, sorted by id, allocations by slot index. */
  async listTaskManagers(): Promise<TaskManagerView[]> {
    const reply = await this.call('listTaskManagers', () =>
      this.run(
        'sluiceListTaskManagers',
        [this.keys.taskManagers()],
        [this.keys.taskManagerPrefix(), this.keys.allocationsPrefix()],
      ),
    );
    const parsed = listReplySchema.safeParse(reply);
    if (!parsed.success)
      throw new CoordinationError('unexpected reply from the list script', { cause: parsed.error });
    const views = parsed.data.map(([id, expiresAt, record, allocations]) => ({
      ...decodeRecord(record),
      allocations: decodeAllocations(id, allocations),
      leaseExpiresAt: Number(expiresAt),
    }));
    return views.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Allocates atomically (see allocate-slot.lua for the checks and their order). Retrying with
   * the allocation id that already holds the slot returns true.
   */
  async allocateSlot(request: SlotAllocation): Promise<boolean> {
    const { taskManagerId, slotIndex, allocationId } = request;
    const reply = await this.call('allocateSlot', () =>
      this.run(
        'sluiceAllocateSlot',
        [...this.singleTaskManagerKeys(taskManagerId), this.keys.fencingCounter()],
        [
          taskManagerId,
          String(slotIndex),
          allocationId,
          encodeAllocation(request),
          request.profile === undefined ? '' : JSON.stringify(request.profile),
          JSON.stringify(RESOURCE_FIELDS),
          request.fencingToken === undefined ? '' : String(request.fencingToken),
        ],
      ),
    );
    const outcome = OUTCOMES.find((o) => o === reply);
    if (outcome === undefined)
      throw new CoordinationError(`unexpected reply from the allocate script: ${String(reply)}`);
    this.log.debug({ taskManagerId, slotIndex, allocationId, jobId: request.jobId, outcome }, 'allocateSlot');
    return isAllocationSuccess(outcome);
  }

  /** Frees the slot only when `allocationId` holds it on a live TaskManager. */
  async freeSlot(taskManagerId: string, slotIndex: number, allocationId: string): Promise<boolean> {
    const reply = await this.call('freeSlot', () =>
      this.run('sluiceFreeSlot', this.singleTaskManagerKeys(taskManagerId), [
        taskManagerId,
        String(slotIndex),
        allocationId,
      ]),
    );
    return reply === 1;
  }

  /** Frees the job's slots on every live TaskManager in one script; returns how many. */
  async freeJobSlots(jobId: string): Promise<number> {
    const reply = await this.call('freeJobSlots', () =>
      this.run(
        'sluiceFreeJobSlots',
        [this.keys.taskManagers()],
        [jobId, this.keys.taskManagerPrefix(), this.keys.allocationsPrefix()],
      ),
    );
    if (typeof reply !== 'number')
      throw new CoordinationError(`unexpected reply from freeJobSlots: ${String(reply)}`);
    return reply;
  }

  /** One PING round trip: the readiness probe of `/healthz`. */
  async ping(): Promise<void> {
    await this.call('ping', () => this.redis.ping());
  }

  /** Quits the connection (pending replies are delivered first). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status !== 'ready') {
      // Not connected: QUIT would sit in the offline queue; drop the socket instead.
      this.redis.disconnect();
      return;
    }
    try {
      await this.redis.quit();
    } catch (err) {
      this.log.debug({ err }, 'QUIT failed; disconnecting');
      this.redis.disconnect();
    }
  }

  private singleTaskManagerKeys(taskManagerId: string): string[] {
    return [
      this.keys.taskManagers(),
      this.keys.taskManager(taskManagerId),
      this.keys.allocations(taskManagerId),
    ];
  }

  /**
   * Runs one Redis operation: a script error becomes a terminal CoordinationError, anything
   * else is the connection and becomes DependencyUnavailableError.
   */
  private async call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw new CoordinationError(`slot registry is closed (${what})`);
    await this.whenReady();
    try {
      return await operation();
    } catch (err) {
      if (err instanceof CoordinationError) throw err;
      // A script error is a bug that retrying will not fix.
      if (err instanceof ReplyError)
        throw new CoordinationError(`Redis slot registry: ${what} failed`, { cause: err });
      throw new DependencyUnavailableError('Redis', this.address, this.lastError ?? err);
    }
  }
}

/** `host:port` of a Redis URL, without user or password. */
export function redisAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || '127.0.0.1'}:${parsed.port || '6379'}`;
  } catch {
    return '(invalid Redis URL)';
  }
}
