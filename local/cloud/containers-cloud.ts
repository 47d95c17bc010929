import { LocalstackContainer, type StartedLocalStackContainer } from '@testcontainers/localstack';
import { RedisContainer, type StartedRedisContainer } from '@testcontainers/redis';

/**
 * The `containers` local cloud (docs/architecture.md §12): LocalStack serving S3 and SQS, and Redis, each
 * in a container started by testcontainers. Needs a container runtime (see
 * `detectContainerRuntime`); on a machine without one testcontainers fails at once, so call
 * `selectCloudMode` first. Import this module lazily: testcontainers is heavy to load.
 */
export interface ContainersCloud {
  s3Endpoint: string;
  sqsEndpoint: string;
  redisUrl: string;
  region: string;
  /** LocalStack accepts any credentials; these are what the clients should send. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Stops and removes both containers. */
  stop(): Promise<void>;
}

export interface ContainersCloudOptions {
  /** Default `localstack/localstack:3.8`, a community image that needs no auth token. */
  localstackImage?: string;
  /** Default `redis:7.2-alpine`. */
  redisImage?: string;
  region?: string;
}

export async function startContainersCloud(options: ContainersCloudOptions = {}): Promise<ContainersCloud> {
  const region = options.region ?? 'us-east-1';
  const localstack = new LocalstackContainer(options.localstackImage ?? 'localstack/localstack:3.8')
    .withEnvironment({ SERVICES: 's3,sqs', DEFAULT_REGION: region })
    .start();
  const redis = new RedisContainer(options.redisImage ?? 'redis:7.2-alpine').start();
  // Start both at once; if either fails, don't leave the other running.
  const [ls, rd] = await Promise.allSettled([localstack, redis]);
  if (ls.status === 'rejected' || rd.status === 'rejected') {
    await Promise.allSettled([stopIfStarted(ls), stopIfStarted(rd)]);
    throw ls.status === 'rejected' ? ls.reason : (rd as PromiseRejectedResult).reason;
  }
  const endpoint = ls.value.getConnectionUri();
  return {
    s3Endpoint: endpoint,
    sqsEndpoint: endpoint,
    redisUrl: rd.value.getConnectionUrl(),
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    stop: async () => {
      await Promise.all([ls.value.stop(), rd.value.stop()]);
    },
  };
}

async function stopIfStarted(
  result: PromiseSettledResult<StartedLocalStackContainer | StartedRedisContainer>,
): Promise<void> {
  if (result.status === 'fulfilled') await result.value.stop();
}
