import type { ManagedProcess } from './process/managed-process';
import type { ConfigKey } from '../runtime/config';
import type * as ContainersCloudModule from './cloud/containers-cloud';
import { ensureBucketOrStop, LOCAL_BUCKET } from './cloud/ensure-bucket';
import type { CloudMode, CloudModeSelection } from './cloud/select-cloud-mode';
import { startEmbeddedCloud } from './embedded-cloud';
import { startProcessesCloud } from './processes-cloud';

/** Config values by key, as cluster processes get them (through `SLUICE_*` variables). */
export type ConfigValues = Partial<Record<ConfigKey, string | number | boolean>>;

/** Whichever local cloud runs, described the same way for the cluster launcher. */
export interface LocalCloud {
  mode: CloudMode;
  /** Why this mode (from `selectCloudMode`). */
  reason: string;
  /** One line: what runs where. */
  description: string;
  /** High-availability and storage keys every cluster process needs. */
  config: ConfigValues;
  redisUrl: string | null;
  s3Endpoint: string | null;
  sqsEndpoint: string | null;
  bucket: string | null;
  /** The fs blob store directory (embedded mode). */
  storageDir: string | null;
  /** Pids of cloud processes by name (processes mode). */
  pids: Record<string, number>;
  /** The cloud's own processes (processes mode), watched so that one dying is reported. */
  processes?: readonly ManagedProcess[];
  /** Stops whatever the cloud runs. Idempotent. */
  stop(): Promise<void>;
}

export interface StartLocalCloudOptions {
  /** Where `.sluice/` lives (embedded storage). */
  rootDir: string;
  /** Where cloud processes write their logs (processes mode). */
  logDir: string;
  signal?: AbortSignal;
}

/** S3, SQS and Redis endpoints of an emulated cloud (processes or containers). */
export interface EmulatedCloud {
  redisUrl: string;
  s3Endpoint: string;
  sqsEndpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  bucket: string;
}

/**
 * Starts the local cloud `selection` names: containers (LocalStack + Redis via
 * testcontainers), processes (redis-server + fauxqs) or embedded (nothing; fs blobs). The S3
 * bucket exists when this resolves. On failure or abort, whatever started is stopped first.
 */
export async function startLocalCloud(
  selection: CloudModeSelection,
  options: StartLocalCloudOptions,
): Promise<LocalCloud> {
  const base = { mode: selection.mode, reason: selection.reason };
  switch (selection.mode) {
    case 'embedded': {
      const cloud = await startEmbeddedCloud({ rootDir: options.rootDir });
      return {
        ...base,
        description: `embedded: in-memory coordination, blobs in ${cloud.storageDir}`,
        config: embeddedConfig(cloud.storageDir),
        redisUrl: null,
        s3Endpoint: null,
        sqsEndpoint: null,
        bucket: null,
        storageDir: cloud.storageDir,
        pids: {},
        stop: cloud.stop,
      };
    }
    case 'processes': {
      const cloud = await startProcessesCloud({
        logDir: options.logDir,
        redisBinary: selection.redisServerPath,
        detached: true,
        signal: options.signal,
      });
      const description =
        `processes: redis-server (pid ${cloud.pids.redis}) at ${cloud.redisUrl}, ` +
        `fauxqs (pid ${cloud.pids.fauxqs}) serving S3 and SQS at ${cloud.s3Endpoint}, bucket ${cloud.bucket}`;
      return {
        ...base,
        ...emulated(cloud),
        description,
        pids: { ...cloud.pids },
        processes: cloud.processes,
        stop: cloud.stop,
      };
    }
    case 'containers':
      return startContainers(selection, options);
  }
}

/** The config of the embedded cloud: no HA (one job manager, in-memory coordination), fs blobs. */
export function embeddedConfig(storageDir: string): ConfigValues {
  return { 'high-availability.type': 'none', 'storage.type': 'fs', 'storage.fs.dir': storageDir };
}

async function startContainers(
  selection: CloudModeSelection,
  options: StartLocalCloudOptions,
): Promise<LocalCloud> {
  // testcontainers is heavy to load: only when this mode is used.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startContainersCloud } = require('./cloud/containers-cloud') as typeof ContainersCloudModule;
  const containers = await startContainersCloud();
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= containers.stop());
  const cloud = { ...containers, bucket: LOCAL_BUCKET };
  await ensureBucketOrStop({ ...cloud, endpoint: cloud.s3Endpoint }, stop, options.signal);
  const description = `containers: LocalStack serving S3 and SQS at ${cloud.s3Endpoint}, Redis at ${cloud.redisUrl}, bucket ${cloud.bucket}`;
  return { mode: selection.mode, reason: selection.reason, ...emulated(cloud), description, pids: {}, stop };
}

/** The config and endpoints of an emulated cloud: HA in Redis, blobs in the S3 bucket (path style). */
export function emulated(
  cloud: EmulatedCloud,
): Pick<LocalCloud, 'config' | 'redisUrl' | 's3Endpoint' | 'sqsEndpoint' | 'bucket' | 'storageDir'> {
  return {
    config: {
      'high-availability.type': 'redis',
      'high-availability.redis.url': cloud.redisUrl,
      'storage.type': 's3',
      's3.bucket': cloud.bucket,
      's3.endpoint': cloud.s3Endpoint,
      's3.region': cloud.region,
      's3.path-style-access': true,
      's3.access-key': cloud.credentials.accessKeyId,
      's3.secret-key': cloud.credentials.secretAccessKey,
      'sqs.endpoint': cloud.sqsEndpoint,
      'sqs.region': cloud.region,
    },
    redisUrl: cloud.redisUrl,
    s3Endpoint: cloud.s3Endpoint,
    sqsEndpoint: cloud.sqsEndpoint,
    bucket: cloud.bucket,
    storageDir: null,
  };
}
