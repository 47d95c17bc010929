/**
 * Stateful stack (docs/architecture.md §12): bucket, Redis, SQS. CDK Template assertions on a synthesized
 * app; synthesis takes seconds, so it happens once per file in beforeAll.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { synthesizeSluice } from '../helpers/cdk-app';

interface LifecycleRule {
  Id?: string;
  Prefix?: string;
  Filter?: { Prefix?: string };
  Status: string;
  ExpirationInDays?: number;
  NoncurrentVersionExpiration?: { NoncurrentDays: number };
}

let stateful: Template;
let customPrefix: Template;

beforeAll(() => {
  stateful = synthesizeSluice({ checkpointExpirationDays: 9, noncurrentVersionExpirationDays: 4 }).stateful;
  customPrefix = synthesizeSluice({
    s3Prefix: 'teams/etl',
    namePrefix: 'etl',
    exchangeQueuePrefix: 'etl-x',
  }).stateful;
}, 120_000);

function lifecycleRules(template: Template): LifecycleRule[] {
  const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
  expect(buckets).toHaveLength(1);
  return (buckets[0]?.Properties?.LifecycleConfiguration?.Rules ?? []) as LifecycleRule[];
}

describe('bucket', () => {
  test('is encrypted, private and versioned', () => {
    stateful.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  test('survives stack deletion', () => {
    stateful.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('policy denies every request that is not over TLS', () => {
    stateful.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test('lifecycle expires checkpoints after the configured days, noncurrent versions too', () => {
    const rules = lifecycleRules(stateful);
    const checkpoints = rules.find((r) => (r.Prefix ?? r.Filter?.Prefix) === 'sluice/checkpoints/');
    expect(checkpoints).toMatchObject({
      Status: 'Enabled',
      ExpirationInDays: 9,
      NoncurrentVersionExpiration: { NoncurrentDays: 4 },
    });
  });

  test('no lifecycle rule can touch savepoints (every rule is scoped to checkpoints/)', () => {
    const rules = lifecycleRules(stateful);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      const prefix = rule.Prefix ?? rule.Filter?.Prefix;
      // A rule without a prefix would apply to the whole bucket, savepoints included.
      expect(prefix).toBeDefined();
      expect(prefix).not.toContain('savepoints');
      expect(prefix).toMatch(/checkpoints\/$/);
    }
  });

  test('the lifecycle prefix follows the configured key prefix', () => {
    const prefixes = lifecycleRules(customPrefix).map((r) => r.Prefix ?? r.Filter?.Prefix);
    expect(prefixes).toEqual(['teams/etl/checkpoints/']);
  });
});

describe('redis', () => {
  test('replication group: multi-AZ, automatic failover, 2+ nodes, TLS and at-rest encryption', () => {
    stateful.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 1);
    stateful.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'redis',
      NumCacheClusters: 2,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      Port: 6379,
    });
  });

  test('auth token is a generated Secrets Manager secret, resolved at deploy time', () => {
    const secrets = stateful.findResources('AWS::SecretsManager::Secret');
    const [secretId, secret] = Object.entries(secrets)[0] ?? [];
    expect(secret?.Properties?.GenerateSecretString).toMatchObject({
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
    const group = Object.values(stateful.findResources('AWS::ElastiCache::ReplicationGroup'))[0];
    const token = JSON.stringify(group?.Properties?.AuthToken);
    expect(token).toContain('{{resolve:secretsmanager:');
    expect(token).toContain(String(secretId));
  });

  test('lives in its own subnet group and a security group with no open egress', () => {
    stateful.resourceCountIs('AWS::ElastiCache::SubnetGroup', 1);
    stateful.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      CacheSubnetGroupName: { Ref: Match.anyValue() },
      SecurityGroupIds: [{ 'Fn::GetAtt': [Match.anyValue(), 'GroupId'] }],
    });
    stateful.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [
        Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
      ],
    });
  });
});

describe('exchange queues', () => {
  test('dead-letter queue is FIFO, encrypted, named under the prefix', () => {
    stateful.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'sluice-exchange-dlq.fifo',
      FifoQueue: true,
      SqsManagedSseEnabled: true,
    });
  });

  test('template queue is FIFO, encrypted, redrives to the DLQ', () => {
    const queues = stateful.findResources('AWS::SQS::Queue');
    const dlqId = Object.entries(queues).find(
      ([, q]) => q.Properties?.QueueName === 'sluice-exchange-dlq.fifo',
    )?.[0];
    expect(dlqId).toBeDefined();
    stateful.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'sluice-exchange-template.fifo',
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
    });
  });

  test('every queue is FIFO and named under the configured prefix', () => {
    const queues = Object.values(customPrefix.findResources('AWS::SQS::Queue'));
    expect(queues).toHaveLength(2);
    for (const q of queues) {
      expect(q.Properties?.FifoQueue).toBe(true);
      expect(String(q.Properties?.QueueName)).toMatch(/^etl-x-.*\.fifo$/);
    }
  });

  test('queue policies deny non-TLS access', () => {
    stateful.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      2,
    );
  });
});
