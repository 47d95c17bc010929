import type { App } from 'aws-cdk-lib';
import type { SluiceDeploymentSettings } from './settings';
import { ComputeStack } from './stacks/compute-stack';
import { NetworkStack } from './stacks/network-stack';
import { StatefulStack } from './stacks/stateful-stack';

export interface SluiceStacks {
  network: NetworkStack;
  stateful: StatefulStack;
  compute: ComputeStack;
}

/**
 * Composes the three stacks from resolved settings. Pure: reads no context and no environment
 * (that is `infra/app.ts`'s job), so tests build exactly what `cdk synth` builds.
 */
export function createSluiceStacks(app: App, settings: SluiceDeploymentSettings): SluiceStacks {
  const name = (suffix: string) => `${toPascalCase(settings.namePrefix)}${suffix}`;
  const common = { env: settings.env, tags: { application: 'sluice', deployment: settings.namePrefix } };

  const network = new NetworkStack(app, name('Network'), { ...common, natGateways: settings.natGateways });
  const stateful = new StatefulStack(app, name('Stateful'), {
    ...common,
    vpc: network.vpc,
    s3Prefix: settings.s3Prefix,
    checkpointExpirationDays: settings.checkpointExpirationDays,
    noncurrentVersionExpirationDays: settings.noncurrentVersionExpirationDays,
    redis: settings.redis,
    exchangeQueuePrefix: settings.exchangeQueuePrefix,
  });
  const compute = new ComputeStack(app, name('Compute'), {
    ...common,
    vpc: network.vpc,
    namePrefix: settings.namePrefix,
    bucket: stateful.storage.bucket,
    s3Prefix: settings.s3Prefix,
    redis: {
      url: stateful.redis.url,
      securityGroup: stateful.redis.securityGroup,
      authSecret: stateful.redis.authSecret,
    },
    exchange: {
      queueNamePrefix: stateful.exchange.queueNamePrefix,
      deadLetterQueueArn: stateful.exchange.deadLetterQueue.queueArn,
      templateQueueUrl: stateful.exchange.templateQueue.queueUrl,
    },
    serviceDiscoveryNamespace: settings.serviceDiscoveryNamespace,
    jobManager: settings.jobManager,
    taskManager: settings.taskManager,
    logRetentionDays: settings.logRetentionDays,
    image: settings.image,
  });
  return { network, stateful, compute };
}

function toPascalCase(value: string): string {
  return value
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
