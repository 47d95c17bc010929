import type { FastifyInstance } from 'fastify';
import { NotLeaderError } from '../../errors';

/** What REST needs to know of the leader election. */
export interface RestLeadership {
  /** `taking-up`: just elected, still recovering the unfinished jobs (so it cannot answer for them yet). */
  role(): 'leader' | 'taking-up' | 'standby';
  /**
   * The current leader's REST base URL, or undefined while there is none. Throws (a
   * `DependencyUnavailableError`, answered 503 naming it) when the store cannot be read.
   */
  leaderRestUrl(): Promise<string | undefined>;
}

/** Paths a standby answers itself: probes must see each job manager, not the leader. */
const OWN_PATHS = new Set(['/healthz', '/livez']);

/**
 * On a standby job manager (docs/architecture.md §9) every route but the health probes answers
 * `307 Temporary Redirect` to the same path on the leader (307 keeps the method and body, so a
 * client may resend a submission there), or 503 `SLUICE_NOT_LEADER` naming the situation while
 * no leader is published. Registered after bearer auth: the leader's address is not given to
 * clients without the token.
 */
export function registerStandbyRedirect(app: FastifyInstance, leadership: RestLeadership): void {
  app.addHook('onRequest', async (request, reply) => {
    const role = leadership.role();
    if (role === 'leader') return;
    const path = request.url.split('?')[0] ?? '';
    if (OWN_PATHS.has(path)) return;
    // Answering now could say "no such job" of a job it is about to recover.
    if (role === 'taking-up')
      throw new NotLeaderError(
        'this job manager just became the leader and is recovering its jobs; retry shortly',
      );
    const leader = await leadership.leaderRestUrl();
    if (leader === undefined || leader === '')
      throw new NotLeaderError('this job manager is a standby and no leader is elected yet; retry shortly');
    return reply
      .code(307)
      .header('location', `${leader.replace(/\/+$/, '')}${request.url}`)
      .send({
        code: 'SLUICE_NOT_LEADER',
        message: `this job manager is a standby; the leader is at ${leader}`,
      });
  });
}
