/**
 * The Sluice CDK app (`cdk.json`: `npx tsx infra/app.ts`). The ONLY place that reads CDK
 * context or the process environment; everything below it takes typed props.
 *
 * Context (all optional; `-c key=value` or the `context` block of cdk.json):
 *   account, region                  concrete environment (else CDK_DEFAULT_*, else agnostic)
 *   namePrefix                        stack/queue/family prefix            (sluice)
 *   s3Prefix                          key prefix inside the bucket         (sluice)
 *   checkpointExpirationDays          lifecycle for <prefix>/checkpoints/  (7)
 *   noncurrentVersionExpirationDays                                        (3)
 *   natGateways                       1 or 2                               (2)
 *   redisNodeType, redisNodeCount, redisEngineVersion   (cache.t4g.small, 2, 7.1)
 *   exchangeQueuePrefix               SQS name prefix                      (sluice-exchange)
 *   serviceDiscoveryNamespace         Cloud Map private DNS name           (sluice.local)
 *   jobManagerCpu, jobManagerMemoryMiB                                     (1024, 2048)
 *   taskManagerCpu, taskManagerMemoryMiB, taskManagerSlots                 (2048, 4096, 2)
 *   taskManagerMin, taskManagerMax, taskManagerTargetCpu                   (1, 4, 70)
 *   logRetentionDays                                                       (30)
 *   imageUri                          use a pushed image instead of building the Dockerfile
 */
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../runtime/errors';
import { resolveDeploymentSettings, type SluiceDeploymentSettings } from './settings';
import { createSluiceStacks } from './sluice-stacks';

const REPO_ROOT = path.resolve(__dirname, '..');

function readSettings(app: App): SluiceDeploymentSettings {
  const str = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const num = (key: string): number | undefined => {
    const raw = str(key);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new ConfigError(`context '${key}': '${raw}' is not a number`);
    return value;
  };
  const account = str('account') ?? process.env.CDK_DEFAULT_ACCOUNT;
  const region = str('region') ?? process.env.CDK_DEFAULT_REGION;
  const imageUri = str('imageUri');
  return resolveDeploymentSettings(
    dropUndefined({
      env: account && region ? { account, region } : undefined,
      namePrefix: str('namePrefix'),
      s3Prefix: str('s3Prefix'),
      checkpointExpirationDays: num('checkpointExpirationDays'),
      noncurrentVersionExpirationDays: num('noncurrentVersionExpirationDays'),
      natGateways: num('natGateways'),
      exchangeQueuePrefix: str('exchangeQueuePrefix'),
      serviceDiscoveryNamespace: str('serviceDiscoveryNamespace'),
      logRetentionDays: num('logRetentionDays'),
      image: imageUri ? { kind: 'registry', uri: imageUri } : { kind: 'asset', directory: REPO_ROOT },
      redis: dropUndefined({
        nodeType: str('redisNodeType'),
        nodeCount: num('redisNodeCount'),
        engineVersion: str('redisEngineVersion'),
      }),
      jobManager: dropUndefined({ cpu: num('jobManagerCpu'), memoryMiB: num('jobManagerMemoryMiB') }),
      taskManager: dropUndefined({
        cpu: num('taskManagerCpu'),
        memoryMiB: num('taskManagerMemoryMiB'),
        slots: num('taskManagerSlots'),
        minCount: num('taskManagerMin'),
        maxCount: num('taskManagerMax'),
        targetCpuPercent: num('taskManagerTargetCpu'),
      }),
    }),
  );
}

/** Unset context must fall back to the defaults, not override them with `undefined`. */
function dropUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

const app = new App();
createSluiceStacks(app, readSettings(app));
