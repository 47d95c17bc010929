import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { ExchangeQueues } from '../constructs/exchange-queues';
import { RedisCluster } from '../constructs/redis-cluster';
import { SluiceBucket } from '../constructs/sluice-bucket';
import type { RedisSettings } from '../settings';

export interface StatefulStackProps extends StackProps {
  vpc: ec2.IVpc;
  s3Prefix: string;
  checkpointExpirationDays: number;
  noncurrentVersionExpirationDays: number;
  redis: RedisSettings;
  exchangeQueuePrefix: string;
}

/**
 * Everything that holds data (docs/architecture.md §12): the bucket, Redis and the shared SQS queues. Kept
 * apart from compute so services can be replaced or destroyed without touching state.
 */
export class StatefulStack extends Stack {
  readonly storage: SluiceBucket;
  readonly redis: RedisCluster;
  readonly exchange: ExchangeQueues;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    this.storage = new SluiceBucket(this, 'Storage', {
      s3Prefix: props.s3Prefix,
      checkpointExpirationDays: props.checkpointExpirationDays,
      noncurrentVersionExpirationDays: props.noncurrentVersionExpirationDays,
    });
    this.redis = new RedisCluster(this, 'Redis', { vpc: props.vpc, ...props.redis });
    this.exchange = new ExchangeQueues(this, 'Exchange', { queueNamePrefix: props.exchangeQueuePrefix });

    new CfnOutput(this, 'BucketName', { value: this.storage.bucket.bucketName });
    new CfnOutput(this, 'RedisEndpoint', { value: this.redis.url });
    new CfnOutput(this, 'RedisAuthSecretArn', { value: this.redis.authSecret.secretArn });
    new CfnOutput(this, 'ExchangeQueuePrefix', { value: props.exchangeQueuePrefix });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.exchange.deadLetterQueue.queueUrl });
  }
}
