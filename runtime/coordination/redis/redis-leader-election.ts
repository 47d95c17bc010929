import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis, ReplyError } from 'ioredis';
import { ConfigError, CoordinationError, DependencyUnavailableError } from '../../errors';
import type {
  FencingTokenFloor,
  LeaderAddresses,
  LeaderContender,
  LeaderElection,
  LeaderInfo,
  LeaseTimings,
} from '../leader-election';
import { leaseTimingsProblem } from '../leader-election';
import type { LuaCommandRunner } from './lua-scripts';
import { defineLuaCommands } from './lua-scripts';
import { RedisKeys } from './redis-keys';
import { RedisLeaderChanges } from './redis-leader-changes';
import { leaderInfoFromHash } from './redis-leader-retriever';
import { redisAddress } from './redis-slot-registry';

export interface RedisLeaderElectionOptions extends LeaseTimings {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  readonly url: string;
  readonly keyPrefix?: string;
  /** What this contender publishes once it leads. */
  readonly addresses: LeaderAddresses;
  /** Stable id of this contender; default a random UUID. */
  readonly contenderId?: string;
  /**
   * The durable record of the highest token: read when the counter is missing from Redis, and
   * raised to every new token before it is granted. Without it, a Redis that lost its data
   * may issue a token again (only the highest token this contender has seen is a floor then).
   */
  readonly tokenFloor?: FencingTokenFloor;
  /** Where failures to reach Redis and step-downs are reported; default none. */
  readonly log?: (level: 'info' | 'warn', message: string) => void;
}

const SCRIPTS = {
  sluiceAcquireLeadership: { file: 'acquire-leadership.lua', numberOfKeys: 3 },
  sluiceRenewLeadership: { file: 'renew-leadership.lua', numberOfKeys: 2 },
  sluiceReleaseLeadership: { file: 'release-leadership.lua', numberOfKeys: 2 },
} as const;

/**
 * A standby tries this long after the remaining lease it was told has passed (the remaining
 * time was measured before the reply travelled, so the lease has lapsed by then).
 */
const LAPSE_MARGIN_MS = 5;

interface Leadership {
  readonly token: number;
  /** Monotonic time the last successful renewal (or the acquisition) was sent. */
  renewedAt: number;
  watchdog?: NodeJS.Timeout;
}

/**
 * Leader election through one Redis lease key (docs/architecture.md §9). Every `retryPeriodMs`
 * the leader extends its lease with a compare-and-extend script and each standby tries `SET NX
 * PX`; an acquisition takes a fresh token from the fencing counter and publishes the leader's
 * addresses in a hash that lives exactly as long as the lease. A standby that finds the lease
 * held learns how long it still lives and tries again right when it lapses (if sooner than a
 * retry period); acquisitions and releases are announced on `{p}:leader:changed`, so after a
 * graceful release a standby takes over at once, and TaskManagers follow a new leader at once.
 *
 * A leader steps down by itself when its last successful renewal was *sent* more than
 * `renewDeadlineMs` ago: that renewal reached Redis later still, so the lease lives at least
 * `leaseDurationMs` past the send time, and the leader has stopped acting before any standby
 * can acquire it (assuming the two clocks run at about the same rate, not that they agree).
 */
export class RedisLeaderElection implements LeaderElection {
  readonly contenderId: string;
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly run: LuaCommandRunner<keyof typeof SCRIPTS>;
  private readonly address: string;
  private contender: LeaderContender | undefined;
  private leadership: Leadership | undefined;
  /** Highest fencing token seen, the floor of the next acquisition. */
  private highestToken = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Announcements of acquisitions and releases: a standby campaigns at once on a release. */
  private readonly changes: RedisLeaderChanges;
  private stopListening: (() => void) | undefined;
  /** True while a renewal or acquisition attempt is out. */
  private attempting = false;
  /** Set by an announcement during an attempt: another attempt follows at once. */
  private attemptAgain = false;
  /** When the lease held by another contender lapses (ms from the last attempt), if known. */
  private heldForMs: number | undefined;
  private closed = false;
  /** Last failure reported, so a Redis outage is logged once, not every retry period. */
  private lastFailure: string | undefined;

  constructor(private readonly options: RedisLeaderElectionOptions) {
    const problem = leaseTimingsProblem(options);
    if (problem !== undefined) throw new ConfigError(`leader election timings: ${problem}`);
    this.contenderId = options.contenderId ?? randomUUID();
    this.keys = new RedisKeys(options.keyPrefix);
    this.address = redisAddress(options.url);
    this.redis = new Redis(options.url, {
      maxRetriesPerRequest: 1,
      // A reply later than a retry period is useless: the next attempt is already due.
      commandTimeout: options.retryPeriodMs,
      retryStrategy: (attempt) => Math.min(attempt * 100, options.retryPeriodMs),
      connectionName: 'sluice-leader-election',
      disconnectTimeout: 200,
      lazyConnect: true,
    });
    // Failures surface on the calls (and are logged there); the client reconnects by itself.
    this.redis.on('error', () => undefined);
    this.run = defineLuaCommands(this.redis, SCRIPTS);
    this.changes = new RedisLeaderChanges({
      url: options.url,
      ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
      maxReconnectDelayMs: options.retryPeriodMs,
      log: (message) => this.report('warn', `leader election: ${message}`),
    });
  }

  /** The fencing token while this contender leads. */
  get fencingToken(): number | undefined {
    return this.leadership?.token;
  }

  async start(contender: LeaderContender): Promise<void> {
    if (this.contender !== undefined) throw new Error('leader election already started');
    this.contender = contender;
    // A release (or a Redis that came back) is worth an attempt now, not at the next retry.
    this.stopListening = this.changes.listen((message) => {
      if (message !== 'released' && message !== 'reconnected') return;
      if (this.leadership === undefined) this.attemptNow();
    });
    await this.tick();
  }

  async currentLeader(): Promise<LeaderInfo | undefined> {
    const leader = leaderInfoFromHash(await this.call(() => this.redis.hgetall(this.keys.leaderInfo())));
    if (leader !== undefined) this.highestToken = Math.max(this.highestToken, leader.fencingToken);
    return leader;
  }

  async hasLeadership(fencingToken: number): Promise<boolean> {
    // One MGET reads both keys at one instant: the lease holder and the newest token issued.
    const [holder, highest] = await this.call(() =>
      this.redis.mget(this.keys.leaderLease(), this.keys.fencingCounter()),
    );
    return holder === this.contenderId && Number(highest) === fencingToken;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.stopListening?.();
    await this.changes.close();
    const held = this.leadership;
    if (held !== undefined) {
      this.stepDown('job manager closing');
      await this.release(held.token);
    }
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  /**
   * One renewal or acquisition attempt, then the next one a retry period later; a standby that
   * learnt when the holder's lease lapses tries right then instead, if that is sooner.
   */
  private async tick(): Promise<void> {
    if (this.closed) return;
    this.attempting = true;
    this.heldForMs = undefined;
    try {
      if (this.leadership !== undefined) await this.renew(this.leadership);
      else await this.tryAcquire();
      this.lastFailure = undefined;
    } catch (err) {
      const text = describe(err);
      if (text !== this.lastFailure) this.report('warn', `leader election: ${text}`);
      this.lastFailure = text;
    } finally {
      this.attempting = false;
    }
    if (this.closed) return;
    if (this.attemptAgain) {
      this.attemptAgain = false;
      return this.attemptNow();
    }
    const lapse = this.heldForMs === undefined ? Infinity : this.heldForMs + LAPSE_MARGIN_MS;
    this.timer = setTimeout(() => void this.tick(), Math.min(this.options.retryPeriodMs, lapse));
  }

  /** An attempt now (after the one that is out, if any) instead of at the scheduled time. */
  private attemptNow(): void {
    if (this.closed) return;
    if (this.attempting) {
      this.attemptAgain = true;
      return;
    }
    clearTimeout(this.timer);
    void this.tick();
  }

  private async tryAcquire(): Promise<void> {
    const sentAt = performance.now();
    let reply = await this.acquire(false);
    if (reply === -1) {
      // A new or emptied Redis: the counter restarts above the durable record, never at 1.
      const durable = (await this.options.tokenFloor?.highest()) ?? 0;
      this.highestToken = Math.max(this.highestToken, durable);
      reply = await this.acquire(true);
    }
    if (Array.isArray(reply)) {
      // Held by another contender: [0, its remaining lease in ms] (negative when it has no expiry).
      const remaining = Number(reply[1]);
      if (Number.isFinite(remaining) && remaining >= 0) this.heldForMs = remaining;
      return;
    }
    if (typeof reply !== 'number' || reply < 1)
      throw new CoordinationError(`unexpected reply from the leader lease script: ${String(reply)}`);
    const token = reply;
    this.highestToken = Math.max(this.highestToken, token);
    try {
      // Durable before it is used, so no later leader can be handed the same token.
      await this.options.tokenFloor?.record(token);
    } catch (err) {
      await this.release(token);
      throw new CoordinationError(`fencing token ${token} could not be recorded; lease released`, {
        cause: err,
      });
    }
    // Closed while the call was out: the unrenewed lease lapses by itself.
    if (this.closed) return;
    const leadership: Leadership = { token, renewedAt: sentAt };
    this.leadership = leadership;
    this.armWatchdog(leadership);
    this.report('info', `leadership granted with fencing token ${token}`);
    this.contender?.grantLeadership(token);
    // Announced once this job manager acts as leader, so TaskManagers that dial it at once
    // are accepted; one that misses the news finds the leader at its next poll.
    await this.call(() => this.redis.publish(this.keys.leaderChannel(), String(token))).catch(
      (err: unknown) => this.report('warn', `could not announce the new leadership: ${describe(err)}`),
    );
  }

  private acquire(durableFloor: boolean): Promise<unknown> {
    const { restUrl, controlAddress } = this.options.addresses;
    return this.call(() =>
      this.run(
        'sluiceAcquireLeadership',
        [this.keys.leaderLease(), this.keys.fencingCounter(), this.keys.leaderInfo()],
        [
          this.contenderId,
          this.options.leaseDurationMs,
          restUrl,
          controlAddress,
          this.highestToken,
          durableFloor ? '1' : '0',
        ],
      ),
    );
  }

  private async release(token: number): Promise<void> {
    await this.call(() =>
      this.run(
        'sluiceReleaseLeadership',
        [this.keys.leaderLease(), this.keys.leaderInfo()],
        [this.contenderId, token, this.keys.leaderChannel()],
      ),
    ).catch((err: unknown) => this.report('warn', `could not release the leader lease: ${describe(err)}`));
  }

  private async renew(leadership: Leadership): Promise<void> {
    const sentAt = performance.now();
    const reply = await this.call(() =>
      this.run(
        'sluiceRenewLeadership',
        [this.keys.leaderLease(), this.keys.leaderInfo()],
        [this.contenderId, leadership.token, this.options.leaseDurationMs],
      ),
    );
    if (this.leadership !== leadership) return; // stepped down while the call was out
    if (reply === 1) {
      leadership.renewedAt = sentAt;
      this.armWatchdog(leadership);
    } else {
      this.stepDown(`the leader lease of token ${leadership.token} lapsed or was taken over`);
    }
  }

  /** Steps down once `renewDeadlineMs` passed since the last successful renewal was sent. */
  private armWatchdog(leadership: Leadership): void {
    clearTimeout(leadership.watchdog);
    const due = leadership.renewedAt + this.options.renewDeadlineMs - performance.now();
    leadership.watchdog = setTimeout(
      () => {
        if (this.leadership === leadership)
          this.stepDown(`the leader lease was not renewed within ${this.options.renewDeadlineMs} ms`);
      },
      Math.max(0, due),
    );
  }

  private stepDown(reason: string): void {
    const leadership = this.leadership;
    if (leadership === undefined) return;
    clearTimeout(leadership.watchdog);
    this.leadership = undefined;
    this.report('warn', `leadership of token ${leadership.token} revoked: ${reason}`);
    this.contender?.revokeLeadership(reason);
  }

  private report(level: 'info' | 'warn', message: string): void {
    this.options.log?.(level, message);
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      return await operation();
    } catch (err) {
      if (err instanceof ReplyError)
        throw new CoordinationError('Redis leader election failed', { cause: err });
      throw new DependencyUnavailableError('Redis', this.address, err);
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
