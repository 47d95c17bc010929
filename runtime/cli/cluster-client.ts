import { resolveClusterTarget } from '../client/cluster-target';
import { RestClient } from '../client/rest-client';
import type { ClusterFlags } from './options';

/** A client of the job manager given by the flags, environment or local cluster; throws when there is none. */
export async function connectToCluster(flags: ClusterFlags): Promise<RestClient> {
  const target = await resolveClusterTarget({
    target: 'cluster',
    restUrl: flags.restUrl,
    token: flags.token,
  });
  if (target.kind !== 'cluster') throw new Error('unreachable: --target cluster resolved to embedded');
  return new RestClient({ url: target.restUrl, ...(target.token ? { token: target.token } : {}) });
}
