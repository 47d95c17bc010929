import { Redis } from 'ioredis';
import { RedisKeys } from './redis-keys';

export interface RedisLeaderChangesOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  readonly url: string;
  readonly keyPrefix?: string;
  /** Longest wait between two reconnection attempts; default 1 s. */
  readonly maxReconnectDelayMs?: number;
  /** Where a subscription that cannot be made is reported; default none. */
  readonly log?: (message: string) => void;
}

/**
 * Listens on the leader change channel (`{p}:leader:changed`): an acquisition publishes its
 * token there and a graceful release publishes `released`. Followers (TaskManagers, standbys)
 * still poll, since pub/sub delivers at most once; this only lets them act at once. After a
 * reconnection (messages sent meanwhile are lost) listeners are called with `reconnected`, so
 * they look again.
 */
export class RedisLeaderChanges {
  private readonly redis: Redis;
  private readonly channel: string;
  private readonly listeners = new Set<(message: string) => void>();
  private subscribed: Promise<void> | undefined;
  private everReady = false;

  constructor(private readonly options: RedisLeaderChangesOptions) {
    this.channel = new RedisKeys(options.keyPrefix).leaderChannel();
    const maxDelay = options.maxReconnectDelayMs ?? 1_000;
    this.redis = new Redis(options.url, {
      // A subscriber sends no commands that could wait; reconnect quickly and resubscribe.
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(attempt * 100, maxDelay),
      connectionName: 'sluice-leader-changes',
      disconnectTimeout: 200,
      lazyConnect: true,
    });
    // Failures show as missed notifications only: the followers' polls cover them.
    this.redis.on('error', () => undefined);
    this.redis.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.emit(message);
    });
    this.redis.on('ready', () => {
      if (this.everReady) this.emit('reconnected');
      this.everReady = true;
    });
  }

  /** Calls `listener` with every message until the returned function is called. */
  listen(listener: (message: string) => void): () => void {
    this.listeners.add(listener);
    this.subscribed ??= this.redis.subscribe(this.channel).then(
      () => undefined,
      (err: unknown) =>
        this.options.log?.(
          `cannot subscribe to leader changes (polling only): ${err instanceof Error ? err.message : String(err)}`,
        ),
    );
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private emit(message: string): void {
    for (const listener of [...this.listeners]) listener(message);
  }
}
