import { Redis } from 'ioredis';
import { DependencyUnavailableError } from '../../errors';
import type { LeaderInfo, LeaderRetriever } from '../leader-election';
import { RedisKeys } from './redis-keys';
import { RedisLeaderChanges } from './redis-leader-changes';
import { redisAddress } from './redis-slot-registry';

export interface RedisLeaderRetrieverOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  readonly url: string;
  readonly keyPrefix?: string;
  /** Longest a lookup waits for Redis; default 2 s. */
  readonly commandTimeoutMs?: number;
}

/** The leader as published by `RedisLeaderElection` in its info hash, or undefined when absent. */
export function leaderInfoFromHash(fields: Record<string, string>): LeaderInfo | undefined {
  const fencingToken = Number(fields.token);
  if (fields.contender === undefined || !Number.isSafeInteger(fencingToken)) return undefined;
  return {
    contenderId: fields.contender,
    fencingToken,
    restUrl: fields.rest ?? '',
    controlAddress: fields.control ?? '',
  };
}

/**
 * Reads the published leader from Redis (the `{p}:leader:info` hash that lives as long as the
 * lease). Used by TaskManagers to find the control port and by REST on a standby to redirect.
 */
export class RedisLeaderRetriever implements LeaderRetriever {
  readonly address: string;
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  /** Subscribed on the first `onChange`, so clients that only look the leader up once do not. */
  private changes: RedisLeaderChanges | undefined;

  constructor(private readonly options: RedisLeaderRetrieverOptions) {
    this.keys = new RedisKeys(options.keyPrefix);
    this.address = redisAddress(options.url);
    this.redis = new Redis(options.url, {
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      connectionName: 'sluice-leader-retrieval',
      disconnectTimeout: 200,
      lazyConnect: true,
    });
    // Failures surface on the calls, wrapped with the address; the client reconnects by itself.
    this.redis.on('error', () => undefined);
  }

  async currentLeader(): Promise<LeaderInfo | undefined> {
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      return leaderInfoFromHash(await this.redis.hgetall(this.keys.leaderInfo()));
    } catch (err) {
      throw new DependencyUnavailableError('Redis', this.address, err);
    }
  }

  onChange(listener: () => void): () => void {
    this.changes ??= new RedisLeaderChanges({
      url: this.options.url,
      ...(this.options.keyPrefix ? { keyPrefix: this.options.keyPrefix } : {}),
    });
    return this.changes.listen(() => listener());
  }

  async close(): Promise<void> {
    await this.changes?.close();
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
