import { resolveClusterTarget, restClientFor } from '../client/cluster-target';
import type { RestClient } from '../client/rest-client';
import { loadConfig } from '../config';
import { blobStoreOptions } from '../services/runtime-services';
import type { BlobStore } from '../storage/blob-store';
import { createBlobStore } from '../storage/create-blob-store';
import type { ClusterFlags } from './options';

/** A client of the job manager given by the flags, environment or local cluster; throws when there is none. */
export async function connectToCluster(flags: ClusterFlags): Promise<RestClient> {
  const target = await resolveClusterTarget({
    target: 'cluster',
    restUrl: flags.restUrl,
    token: flags.token,
  });
  if (target.kind !== 'cluster') throw new Error('unreachable: --target cluster resolved to embedded');
  return restClientFor(target);
}

/** The blob store of the config (SLUICE_CONFIG, SLUICE_* variables), for commands that read it directly. */
export function configuredBlobStore(): BlobStore {
  return createBlobStore(blobStoreOptions(loadConfig()));
}
