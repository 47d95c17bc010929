/**
 * Leader election port (docs/architecture.md §9, Flink's LeaderElectionService): the job
 * managers of a cluster campaign for one lease; the holder is the leader and acts with the
 * fencing token it got on acquisition. Adapters: Redis (`redis/redis-leader-election.ts`) and
 * standalone (`embedded/standalone-leader-election.ts`, one job manager that always leads).
 */

/** What the leader publishes so TaskManagers and clients can find it. */
export interface LeaderAddresses {
  /** Base URL of the leader's REST API. */
  readonly restUrl: string;
  /** `host:port` of the leader's control port (TaskManagers connect to it). */
  readonly controlAddress: string;
}

/** The current leader as published in the coordination store. */
export interface LeaderInfo extends LeaderAddresses {
  /** Identifies one contender (one job manager process); stable for its lifetime. */
  readonly contenderId: string;
  /** Fencing token of this leadership; a later leadership always has a higher one. */
  readonly fencingToken: number;
}

/**
 * The highest fencing token ever issued, kept outside the coordination store (in the blob
 * store, the system of record): Redis restarted with its data lost forgets its counter, and a
 * token issued again would pass the fencing of TaskManagers and stores.
 */
export interface FencingTokenFloor {
  /** The highest token recorded; 0 when none was. Throws when the record cannot be read. */
  highest(): Promise<number>;
  /** Records `token` (kept when higher than the recorded one). Throws when it cannot be stored. */
  record(token: number): Promise<void>;
}

/** The job manager side of an election: told when it leads and when it must stop. */
export interface LeaderContender {
  /** This contender now leads and must fence every state-changing write with `fencingToken`. */
  grantLeadership(fencingToken: number): void;
  /**
   * This contender no longer leads (lost, expired or not renewed in time): it must stop acting
   * as leader at once, before another contender can take over.
   */
  revokeLeadership(reason: string): void;
}

export interface LeaderElection {
  /** Starts campaigning for `contender`; resolves once the first attempt to acquire was made. */
  start(contender: LeaderContender): Promise<void>;
  /** The published leader, or undefined when no contender holds the lease. */
  currentLeader(): Promise<LeaderInfo | undefined>;
  /**
   * True when this contender still holds the lease with `fencingToken` and no newer token was
   * issued, read from the store now: fenced writes (job records, checkpoint `_metadata`) ask it
   * right before writing. Throws when the store cannot be reached (callers treat that as "no").
   */
  hasLeadership(fencingToken: number): Promise<boolean>;
  /** Stops campaigning; a held lease is revoked locally first, then released. Idempotent. */
  close(): Promise<void>;
}

/**
 * Finds the current leader without campaigning (Flink's LeaderRetrievalService): TaskManagers
 * use it to reach the leader's control port, clients its REST URL.
 */
export interface LeaderRetriever {
  /** The published leader, or undefined while none holds the lease. Throws when the store is unreachable. */
  currentLeader(): Promise<LeaderInfo | undefined>;
  /**
   * Calls `listener` whenever the leadership may have changed (a new leader was announced, a
   * leader released its lease, or announcements may have been missed), so followers look
   * again at once rather than at their next poll; returns a function that stops it. Best
   * effort: followers still poll. Absent where the store cannot announce changes.
   */
  onChange?(listener: () => void): () => void;
  close(): Promise<void>;
}

/** Timings of a lease-based election (`high-availability.redis.leader-election.*`). */
export interface LeaseTimings {
  /** Lifetime of the lease in the store without renewal. */
  readonly leaseDurationMs: number;
  /** The leader steps down when its last successful renewal started longer ago than this. */
  readonly renewDeadlineMs: number;
  /** Interval of renewals (leader) and acquisition attempts (standbys). */
  readonly retryPeriodMs: number;
}

/** Why a set of timings cannot keep the guarantee "a leader steps down before its lease passes". */
export function leaseTimingsProblem(timings: LeaseTimings): string | undefined {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = timings;
  if (!(renewDeadlineMs < leaseDurationMs))
    return `renew deadline (${renewDeadlineMs} ms) must be less than the lease duration (${leaseDurationMs} ms)`;
  if (!(retryPeriodMs < renewDeadlineMs))
    return `retry period (${retryPeriodMs} ms) must be less than the renew deadline (${renewDeadlineMs} ms)`;
  return undefined;
}
