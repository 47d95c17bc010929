import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SLUICE_PORTS } from './sluice-environment';

export interface RedisClusterProps {
  vpc: ec2.IVpc;
  nodeType: string;
  /** One primary plus replicas; Multi-AZ automatic failover needs at least 2. */
  nodeCount: number;
  engineVersion: string;
}

/**
 * ElastiCache Redis for leases, the slot registry and checkpoint pointers (docs/architecture.md §9): a
 * replication group with a replica in another AZ and automatic failover, TLS in transit,
 * encryption at rest, and an AUTH token generated into Secrets Manager so it never appears
 * in a template or in a container definition.
 */
export class RedisCluster extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly authSecret: secretsmanager.Secret;
  readonly securityGroup: ec2.SecurityGroup;
  readonly port = SLUICE_PORTS.redis;

  constructor(scope: Construct, id: string, props: RedisClusterProps) {
    super(scope, id);
    if (props.nodeCount < 2) throw new Error('RedisCluster: automatic failover needs nodeCount >= 2');

    this.authSecret = new secretsmanager.Secret(this, 'AuthToken', {
      description: 'Sluice Redis AUTH token',
      // ElastiCache tokens: 16-128 printable characters without '/', '"' or '@'.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Sluice Redis: ingress only from Sluice tasks on the Redis port',
      allowAllOutbound: false,
    });
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: 'Sluice Redis private subnets',
      subnetIds: props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    });

    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: 'Sluice coordination (leader lease, slot registry)',
      engine: 'redis',
      engineVersion: props.engineVersion,
      cacheNodeType: props.nodeType,
      numCacheClusters: props.nodeCount,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      authToken: this.authSecret.secretValue.unsafeUnwrap(),
      port: this.port,
      cacheSubnetGroupName: subnetGroup.ref, // the Ref also orders creation
      securityGroupIds: [this.securityGroup.securityGroupId],
      autoMinorVersionUpgrade: true,
      // Everything in Redis can be rebuilt from S3 (docs/architecture.md §9), so one daily snapshot is plenty.
      snapshotRetentionLimit: 1,
    });
  }

  /** Primary endpoint host name (follows failover). */
  get endpointAddress(): string {
    return this.replicationGroup.attrPrimaryEndPointAddress;
  }

  /** `rediss://host:port` — TLS, because transit encryption is on. The token is passed apart. */
  get url(): string {
    return `rediss://${this.endpointAddress}:${this.port}`;
  }
}
