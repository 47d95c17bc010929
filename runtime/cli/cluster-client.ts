import {
  LOCAL_CLUSTER_FILE,
  readLocalClusterInfo,
  resolveClusterTarget,
  restClientFor,
} from '../client/cluster-target';
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

/**
 * The blob store for commands that read it directly (`savepoint inspect`, `check`): the one the
 * config names (`SLUICE_CONFIG`, `SLUICE_STORAGE_*`, `SLUICE_S3_*`); when it names none and a
 * local cluster runs here, that cluster's store (from its cluster file), so what `npm run
 * local` wrote — savepoints `sluice savepoint list` shows — can be read as it is listed.
 */
export function configuredBlobStore(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): BlobStore {
  const local = storeNamed(env) ? undefined : localClusterStoreConfig(cwd);
  if (local)
    console.error(`reading the local cluster's store (${describeStore(local)}), from ${LOCAL_CLUSTER_FILE}`);
  return createBlobStore(blobStoreOptions(loadConfig({ env, cwd, ...(local ? { overrides: local } : {}) })));
}

/** Whether the config the user gave names a store (a config file, or a storage variable). */
function storeNamed(env: NodeJS.ProcessEnv): boolean {
  if (env.SLUICE_CONFIG) return true;
  return Object.keys(env).some((name) => name.startsWith('SLUICE_STORAGE_') || name.startsWith('SLUICE_S3_'));
}

function localClusterStoreConfig(cwd: string): Record<string, string | number | boolean> | undefined {
  // No file, or a broken one: the configured store it is (commands that need the cluster say why).
  return readLocalClusterInfo(cwd).info?.storeConfig;
}

function describeStore(config: Record<string, string | number | boolean>): string {
  return config['storage.type'] === 'fs'
    ? `directory ${String(config['storage.fs.dir'])}`
    : `bucket ${String(config['s3.bucket'])} at ${String(config['s3.endpoint'] ?? 'AWS')}`;
}
