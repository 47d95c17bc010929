import type { LeaderContender, LeaderElection, LeaderInfo } from '../coordination/leader-election';
import { NotLeaderError, describeError } from '../errors';
import type { Logger } from '../util/logger';

/** A job manager's role (`GET /healthz` reports it): only the leader runs jobs. */
export type JobManagerRole = 'leader' | 'standby';

export interface LeadershipHooks {
  /** Leadership granted: accept TaskManagers, recover unfinished jobs. Failures are logged here. */
  onGranted(fencingToken: number): Promise<void>;
  /** Leadership lost: stop acting at once (suspend job masters, drop TaskManager connections). */
  onRevoked(reason: string): void;
}

/**
 * The job manager as a contender in the leader election (docs/architecture.md §9, Flink's
 * DefaultDispatcherRunner): it holds the role and fencing token, turns grants and revocations
 * into the hooks, and guards every state-changing write with `assertLeader`.
 */
export class JobManagerLeadership implements LeaderContender {
  private currentRole: JobManagerRole = 'standby';
  private token = 0;
  /** The token whose grant has been taken up (unfinished jobs recovered); 0 while none. */
  private takenUp = 0;
  /** Serialises grant handling, so a quick revoke-and-regrant cannot recover jobs twice at once. */
  private transition: Promise<void> = Promise.resolve();

  private election: LeaderElection | undefined;

  constructor(
    /** Creates the election once the REST URL to publish is known. */
    private readonly electionFor: (restUrl: string) => LeaderElection,
    private readonly hooks: LeadershipHooks,
    private readonly logger: Logger,
  ) {}

  get role(): JobManagerRole {
    return this.currentRole;
  }

  /**
   * True once this leader has taken up its leadership: its unfinished jobs are recovered, so
   * what it answers about jobs is complete. Between the grant and then, REST answers 503.
   */
  get serving(): boolean {
    return this.currentRole === 'leader' && this.takenUp === this.token;
  }

  /** The token of the current (or last) leadership; 0 before the first. Control messages carry it. */
  fencingToken(): number {
    return this.token;
  }

  /** Campaigns, publishing `restUrl`; resolves after the first attempt to acquire. */
  start(restUrl: string): Promise<void> {
    if (this.election !== undefined) throw new Error('already campaigning');
    this.election = this.electionFor(restUrl);
    return this.election.start(this);
  }

  grantLeadership(fencingToken: number): void {
    this.token = fencingToken;
    this.currentRole = 'leader';
    this.logger.info({ fencingToken }, 'this job manager is now the leader');
    this.transition = this.transition.then(() =>
      this.hooks.onGranted(fencingToken).then(
        () => {
          this.takenUp = fencingToken;
        },
        (err: unknown) => this.logger.error({ err, fencingToken }, 'taking up the leadership failed'),
      ),
    );
  }

  revokeLeadership(reason: string): void {
    if (this.currentRole !== 'leader') return;
    this.currentRole = 'standby';
    this.logger.warn({ reason, fencingToken: this.token }, 'this job manager stepped down');
    this.hooks.onRevoked(reason);
  }

  /** Resolves once a grant in progress has been handled (tests, close). */
  settled(): Promise<void> {
    return this.transition;
  }

  /**
   * Resolves when this job manager leads *now*, as read from the coordination store; fenced
   * writes call it right before writing, so a leader paused past its lease changes nothing.
   * @throws NotLeaderError naming the current leader's REST URL when known.
   */
  async assertLeader(): Promise<void> {
    const election = this.election;
    if (this.currentRole !== 'leader' || election === undefined)
      throw await this.notLeader('this job manager is a standby');
    let holds: boolean;
    try {
      holds = await election.hasLeadership(this.token);
    } catch (err) {
      this.logger.warn({ err: describeError(err) }, 'cannot confirm the leadership: refusing the write');
      throw new NotLeaderError(`cannot confirm the leadership: ${describeError(err)}`);
    }
    if (!holds)
      throw await this.notLeader(`the leadership of fencing token ${this.token} passed to a newer leader`);
  }

  /**
   * The published leader, or undefined while none is elected.
   * @throws DependencyUnavailableError when the coordination store cannot be read.
   */
  async currentLeader(): Promise<LeaderInfo | undefined> {
    return this.election?.currentLeader();
  }

  /** The published leader, or undefined (none yet, or the store is unreachable: logged). */
  async leader(): Promise<LeaderInfo | undefined> {
    try {
      return await this.currentLeader();
    } catch (err) {
      this.logger.warn({ err: describeError(err) }, 'cannot read the current leader');
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.election?.close();
    await this.transition;
  }

  private async notLeader(why: string): Promise<NotLeaderError> {
    const leader = await this.leader();
    const where = leader ? `; the leader is at ${leader.restUrl}` : '; no leader is known yet';
    return new NotLeaderError(`${why}${where}`, leader?.restUrl);
  }
}
