import type { LeaderAddresses, LeaderContender, LeaderElection, LeaderInfo } from '../leader-election';

/** Fencing token of a job manager without high availability (it is the only one, always). */
export const STANDALONE_FENCING_TOKEN = 1;

/**
 * One job manager without high availability (Flink's StandaloneLeaderElection): it leads from
 * `start` until `close`, with a constant fencing token.
 */
export class StandaloneLeaderElection implements LeaderElection {
  private contender: LeaderContender | undefined;

  constructor(private readonly addresses: LeaderAddresses) {}

  async start(contender: LeaderContender): Promise<void> {
    if (this.contender !== undefined) throw new Error('leader election already started');
    this.contender = contender;
    contender.grantLeadership(STANDALONE_FENCING_TOKEN);
  }

  async currentLeader(): Promise<LeaderInfo | undefined> {
    if (this.contender === undefined) return undefined;
    return { ...this.addresses, contenderId: 'standalone', fencingToken: STANDALONE_FENCING_TOKEN };
  }

  async hasLeadership(fencingToken: number): Promise<boolean> {
    return this.contender !== undefined && fencingToken === STANDALONE_FENCING_TOKEN;
  }

  async close(): Promise<void> {
    const contender = this.contender;
    this.contender = undefined;
    contender?.revokeLeadership('job manager closing');
  }
}
