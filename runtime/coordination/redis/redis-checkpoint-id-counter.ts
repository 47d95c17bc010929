import { Redis, ReplyError } from 'ioredis';
import type { CheckpointIdCounter } from '../../checkpoint/checkpoint-id-counter';
import { CoordinationError, DependencyUnavailableError } from '../../errors';
import type { LuaCommandRunner } from './lua-scripts';
import { defineLuaCommands } from './lua-scripts';
import { RedisKeys } from './redis-keys';
import { redisAddress } from './redis-slot-registry';

export interface RedisCheckpointIdCounterOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  readonly url: string;
  readonly keyPrefix?: string;
  readonly commandTimeoutMs?: number;
}

const SCRIPTS = {
  sluiceNextCheckpointId: { file: 'next-checkpoint-id.lua', numberOfKeys: 1 },
} as const;

/**
 * Checkpoint ids in Redis: `INCR` of the job's `{p}:job:{jobId}:chk:counter` (see RedisKeys),
 * lifted above the latest completed checkpoint in the same script, so a counter lost with a
 * Redis restart never hands out an id a stored checkpoint already has. Any job manager of the
 * cluster (a standby after failover, issue 10) continues the sequence.
 */
export class RedisCheckpointIdCounter implements CheckpointIdCounter {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly run: LuaCommandRunner<keyof typeof SCRIPTS>;
  private readonly address: string;

  constructor(options: RedisCheckpointIdCounterOptions) {
    this.keys = new RedisKeys(options.keyPrefix);
    this.address = redisAddress(options.url);
    this.redis = new Redis(options.url, {
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 5_000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      connectionName: 'sluice-checkpoint-id-counter',
      disconnectTimeout: 200,
      lazyConnect: true,
    });
    // Connection errors surface on the calls that need Redis; the client reconnects by itself.
    this.redis.on('error', () => undefined);
    this.run = defineLuaCommands(this.redis, SCRIPTS);
  }

  async next(jobId: string, floor: number): Promise<number> {
    const reply = await this.call(() =>
      this.run('sluiceNextCheckpointId', [this.keys.checkpointIdCounter(jobId)], [Math.max(0, floor)]),
    );
    if (typeof reply !== 'number')
      throw new CoordinationError(`unexpected reply from the checkpoint id script: ${String(reply)}`);
    return reply;
  }

  async discard(jobId: string): Promise<void> {
    await this.call(() => this.redis.del(this.keys.checkpointIdCounter(jobId)));
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      return await operation();
    } catch (err) {
      if (err instanceof ReplyError)
        throw new CoordinationError('Redis checkpoint id counter failed', { cause: err });
      throw new DependencyUnavailableError('Redis', this.address, err);
    }
  }
}
