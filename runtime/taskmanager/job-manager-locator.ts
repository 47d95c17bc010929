import type { ResolvedConfig } from '../config';
import type { LeaderRetriever } from '../coordination/leader-election';
import { RedisLeaderRetriever } from '../coordination/redis/redis-leader-retriever';
import { ConfigError, describeError } from '../errors';
import { redisUrlWithPassword } from '../services/runtime-services';
import type { Logger } from '../util/logger';

/** Where the TaskManager dials the job manager's control port. */
export interface JobManagerTarget {
  readonly host: string;
  readonly port: number;
  /** With leader election: the leadership this address belongs to. */
  readonly fencingToken?: number;
}

/**
 * Finds the job manager a TaskManager connects to (docs/architecture.md §9). Without high
 * availability it is the configured `jobmanager.rpc.address:port`; with Redis it is the
 * control address the current leader published, and `watch` notices when the leadership moves
 * on (a new token) so the TaskManager drops the old leader, even one that is only paused. Both
 * poll every retry period and also act at once when Redis announces a leadership change.
 */
export class JobManagerLocator {
  private readonly retriever: LeaderRetriever | undefined;
  private readonly pollMs: number;
  /** Waiters of `pause`, woken early when a leadership change is announced. */
  private readonly pausing = new Set<() => void>();
  /** Announcements so far, and how many `locate` had seen: one that came meanwhile skips a pause. */
  private announced = 0;
  private seen = 0;
  private stopListening: (() => void) | undefined;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
  ) {
    const url = config['high-availability.redis.url'];
    this.pollMs = config['high-availability.redis.leader-election.retry-period'];
    if (config['high-availability.type'] === 'redis' && url !== undefined)
      this.retriever = new RedisLeaderRetriever({
        url: redisUrlWithPassword(url, config['high-availability.redis.password']),
        keyPrefix: config['high-availability.redis.key-prefix'],
      });
    this.stopListening = this.retriever?.onChange?.(() => {
      this.announced++;
      const waiters = [...this.pausing];
      this.pausing.clear();
      for (const wake of waiters) wake();
    });
  }

  /**
   * Waits `ms` before the next connection attempt, or less when a leadership change is
   * announced meanwhile (a new leader is worth dialing at once).
   */
  pause(ms: number): Promise<void> {
    // Announced while this TaskManager was dialing the previous leader: look again now.
    if (this.announced !== this.seen) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.pausing.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.pausing.add(wake);
    });
  }

  /**
   * The job manager to dial now, or undefined while no leader is published.
   * @throws DependencyUnavailableError when Redis cannot be read; ConfigError for a malformed address.
   */
  async locate(): Promise<JobManagerTarget | undefined> {
    if (!this.retriever)
      return { host: this.config['jobmanager.rpc.address'], port: this.config['jobmanager.rpc.port'] };
    this.seen = this.announced;
    const leader = await this.retriever.currentLeader();
    if (leader === undefined) return undefined;
    return { ...parseControlAddress(leader.controlAddress), fencingToken: leader.fencingToken };
  }

  /**
   * Calls `onMovedOn` once when a leader other than `target`'s is published; returns a stop
   * function. A Redis that cannot be read changes nothing (logged once per outage): the
   * connection itself tells when the job manager is gone.
   */
  watch(target: JobManagerTarget, onMovedOn: (reason: string) => void): () => void {
    const retriever = this.retriever;
    if (!retriever || target.fencingToken === undefined) return () => undefined;
    let failing = false;
    let stopped = false;
    const check = (): void => {
      retriever.currentLeader().then(
        (leader) => {
          failing = false;
          if (stopped || leader === undefined || leader.fencingToken <= target.fencingToken!) return;
          stop();
          onMovedOn(`a new job manager leader took over (fencing token ${leader.fencingToken})`);
        },
        (err: unknown) => {
          if (!failing) this.logger.warn({ err: describeError(err) }, 'cannot read the job manager leader');
          failing = true;
        },
      );
    };
    const timer = setInterval(check, this.pollMs);
    const unlisten = retriever.onChange?.(check);
    const stop = (): void => {
      stopped = true;
      clearInterval(timer);
      unlisten?.();
    };
    return stop;
  }

  /**
   * Longest wait between two connection attempts: with leader election the leader's retry
   * period, so a TaskManager registers at a new leader within one period of its election.
   */
  get maxRetryDelayMs(): number {
    return this.retriever ? Math.min(this.pollMs, 5_000) : 5_000;
  }

  async close(): Promise<void> {
    this.stopListening?.();
    await this.retriever?.close();
  }
}

/** `host:port` (or `[v6]:port`) as published by the leader. */
export function parseControlAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new ConfigError(`the job manager leader published an invalid control address '${address}'`);
  return { host, port };
}
