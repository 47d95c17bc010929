import type { ResolvedConfig } from '../config';
import { InMemorySlotRegistry } from '../coordination/embedded/in-memory-slot-registry';
import { RedisSlotRegistry } from '../coordination/redis/redis-slot-registry';
import type { SlotRegistry } from '../coordination/slot-registry';
import type { BlobStore } from '../storage/blob-store';
import { createBlobStore } from '../storage/create-blob-store';
import type { DependencyProbe } from './dependency-health';

/**
 * The adapters a process uses, chosen once from the resolved config (docs/architecture.md §10, Flink's
 * HighAvailabilityServices): Redis or in-memory coordination, S3 or filesystem blobs.
 */
export interface RuntimeServices {
  readonly blobStore: BlobStore;
  /**
   * The slot registry. With `high-availability.type=redis` every process talks to Redis;
   * without it only the job manager holds one (in memory) and TaskManagers register through
   * the control channel.
   */
  readonly slotRegistry: SlotRegistry | undefined;
  readonly coordination: 'redis' | 'embedded';
  /** The external services this process needs, for its readiness report (`/healthz`). */
  readonly dependencies: readonly DependencyProbe[];
  close(): Promise<void>;
}

export function createRuntimeServices(
  config: ResolvedConfig,
  role: 'jobmanager' | 'taskmanager',
): RuntimeServices {
  const blobStore = createBlobStore(blobStoreOptions(config));
  const redisUrl = config['high-availability.redis.url'];
  const redis = config['high-availability.type'] === 'redis' && redisUrl !== undefined;
  const redisRegistry = redis
    ? new RedisSlotRegistry({
        url: redisUrlWithPassword(redisUrl, config['high-availability.redis.password']),
        keyPrefix: config['high-availability.redis.key-prefix'],
      })
    : undefined;
  const slotRegistry: SlotRegistry | undefined =
    redisRegistry ?? (role === 'jobmanager' ? new InMemorySlotRegistry() : undefined);
  const dependencies: DependencyProbe[] = [
    // A HEAD of a key that need not exist: any answer, 404 included, means the store is reachable.
    {
      name: 'blobStore',
      label: 'blob store',
      address: blobStoreAddress(config),
      probe: async () => void (await blobStore.exists(PROBE_KEY)),
    },
  ];
  if (redisRegistry)
    dependencies.unshift({
      name: 'redis',
      label: 'Redis',
      address: redisRegistry.address,
      probe: () => redisRegistry.ping(),
    });
  return {
    blobStore,
    slotRegistry,
    coordination: redis ? 'redis' : 'embedded',
    dependencies,
    async close() {
      await Promise.allSettled([blobStore.close(), slotRegistry?.close()]);
    },
  };
}

const PROBE_KEY = 'health/probe';

/** Where the blob store is, for health reports and errors: the S3 endpoint (or bucket on AWS), or the directory. */
export function blobStoreAddress(config: ResolvedConfig): string {
  if (config['storage.type'] === 'fs') return `file://${config['storage.fs.dir']}`;
  return config['s3.endpoint'] ?? `s3://${config['s3.bucket'] ?? ''}`;
}

/** The blob store the config names (`storage.type`). */
export function blobStoreOptions(config: ResolvedConfig): Parameters<typeof createBlobStore>[0] {
  if (config['storage.type'] === 'fs') return { type: 'fs', dir: config['storage.fs.dir'] };
  const accessKeyId = config['s3.access-key'];
  const secretAccessKey = config['s3.secret-key'];
  return {
    type: 's3',
    bucket: config['s3.bucket']!,
    prefix: config['s3.prefix'],
    region: config['s3.region'],
    forcePathStyle: config['s3.path-style-access'],
    ...(config['s3.endpoint'] ? { endpoint: config['s3.endpoint'] } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
  };
}

/** The Redis URL with the configured password, unless the URL carries one already. */
export function redisUrlWithPassword(url: string, password: string | undefined): string {
  if (!password) return url;
  const parsed = new URL(url);
  if (parsed.password) return url;
  parsed.password = password;
  return parsed.toString();
}
