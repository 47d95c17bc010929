import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type { Construct } from 'constructs';
import { ExchangeQueues } from '../constructs/exchange-queues';
import { JobManagerService } from '../constructs/job-manager-service';
import type { SluiceDataAccess } from '../constructs/sluice-data-access';
import { SLUICE_PORTS, sluiceEnvironment, sluiceEnvName } from '../constructs/sluice-environment';
import { TaskManagerService } from '../constructs/task-manager-service';
import type { FargateSize, ImageSource, TaskManagerSettings } from '../settings';

export interface ComputeStackProps extends StackProps {
  vpc: ec2.IVpc;
  namePrefix: string;
  bucket: s3.IBucket;
  s3Prefix: string;
  redis: { url: string; securityGroup: ec2.ISecurityGroup; authSecret: secretsmanager.ISecret };
  exchange: { queueNamePrefix: string; deadLetterQueueArn: string; templateQueueUrl: string };
  serviceDiscoveryNamespace: string;
  jobManager: FargateSize;
  taskManager: TaskManagerSettings;
  logRetentionDays: number;
  image: ImageSource;
}

/**
 * Everything that runs (docs/architecture.md §12): ECS cluster, JobManager (leader + standby) behind an
 * internal ALB, autoscaled TaskManagers, Cloud Map names, and security groups that open only
 * the Sluice ports inside the VPC. Egress is limited to HTTPS (AWS APIs) and the peers' ports.
 */
export class ComputeStack extends Stack {
  readonly cluster: ecs.Cluster;
  readonly jobManagers: JobManagerService;
  readonly taskManagers: TaskManagerService;

  constructor(scope: Construct, id: string, props: ComputeStackProps) {
    super(scope, id, props);
    const vpc = props.vpc;
    const namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: props.serviceDiscoveryNamespace,
      vpc,
      description: 'Sluice JobManager and TaskManager names',
    });
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const groups = this.createSecurityGroups(vpc, props.redis.securityGroup);

    const image = containerImage(this, props.image);
    const logRetention = props.logRetentionDays as logs.RetentionDays;
    const keyPrefix = props.s3Prefix === '' ? '' : `${props.s3Prefix}/`;
    const dataAccess: SluiceDataAccess = {
      bucket: props.bucket,
      keyPrefix,
      queueArnPattern: ExchangeQueues.queueArnPattern(this, props.exchange.queueNamePrefix),
    };
    const environment = sluiceEnvironment({
      'high-availability.type': 'redis',
      'high-availability.redis.url': props.redis.url,
      'storage.type': 's3',
      's3.bucket': props.bucket.bucketName,
      's3.prefix': props.s3Prefix,
      'rest.port': SLUICE_PORTS.rest,
      'jobmanager.rpc.port': SLUICE_PORTS.rpc,
      'taskmanager.data.port': SLUICE_PORTS.data,
      // Containers listen on all interfaces and advertise their own address.
      'taskmanager.host': 'auto',
      'rest.address': '0.0.0.0',
      'jobmanager.rpc.bind-address': '0.0.0.0',
      'jobmanager.rpc.address': `jobmanager.${namespace.namespaceName}`,
      'sqs.queue-prefix': props.exchange.queueNamePrefix,
      'sqs.dead-letter-queue-arn': props.exchange.deadLetterQueueArn,
    });
    const restToken = new secretsmanager.Secret(this, 'RestToken', {
      description: 'Sluice cluster token: REST bearer token and the secret TaskManagers authenticate with',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    const secrets = {
      [sluiceEnvName('high-availability.redis.password')]: ecs.Secret.fromSecretsManager(
        props.redis.authSecret,
      ),
      [sluiceEnvName('rest.token')]: ecs.Secret.fromSecretsManager(restToken),
    };

    this.taskManagers = new TaskManagerService(this, 'TaskManagers', {
      cluster: this.cluster,
      image,
      securityGroup: groups.taskManagers,
      namespace,
      namePrefix: props.namePrefix,
      settings: props.taskManager,
      environment,
      secrets,
      logRetention,
      dataAccess,
    });

    const subnets = vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds;
    const tmDefinition = this.taskManagers.definition;
    this.jobManagers = new JobManagerService(this, 'JobManagers', {
      cluster: this.cluster,
      image,
      securityGroup: groups.jobManagers,
      loadBalancerSecurityGroup: groups.loadBalancer,
      namespace,
      namePrefix: props.namePrefix,
      size: props.jobManager,
      environment: {
        ...environment,
        ...sluiceEnvironment({
          // Leader election (docs/architecture.md §9): each of the two tasks publishes its own
          // task IP, so TaskManagers dial the leader's control port and a standby's REST
          // redirects to the leader itself (REST listens on 0.0.0.0: the task IP is advertised).
          'jobmanager.rpc.address': 'auto',
        }),
        // Per-job mode: where and how the ECS resource driver launches TaskManagers.
        ...sluiceEnvironment({
          'resourcemanager.ecs.cluster': this.cluster.clusterArn,
          'resourcemanager.ecs.task-definition': tmDefinition.taskDefinition.taskDefinitionArn,
          'resourcemanager.ecs.container-name': TaskManagerService.CONTAINER_NAME,
          'resourcemanager.ecs.subnets': Fn.join(',', subnets),
          'resourcemanager.ecs.security-groups': groups.taskManagers.securityGroupId,
        }),
      },
      secrets,
      logRetention,
      dataAccess,
      taskManagers: {
        family: tmDefinition.taskDefinition.family,
        taskRole: tmDefinition.taskRole,
        executionRole: tmDefinition.executionRole,
      },
    });

    new CfnOutput(this, 'BucketName', { value: props.bucket.bucketName });
    new CfnOutput(this, 'RestEndpoint', {
      value: `http://${this.jobManagers.loadBalancer.loadBalancerDnsName}:${SLUICE_PORTS.rest}`,
    });
    new CfnOutput(this, 'RestTokenSecretArn', { value: restToken.secretArn });
    new CfnOutput(this, 'ClusterArn', { value: this.cluster.clusterArn });
    new CfnOutput(this, 'TaskManagerTaskDefinitionArn', {
      value: tmDefinition.taskDefinition.taskDefinitionArn,
    });
    new CfnOutput(this, 'RunTaskSubnets', { value: Fn.join(',', subnets) });
    new CfnOutput(this, 'RunTaskSecurityGroups', { value: groups.taskManagers.securityGroupId });
  }

  private createSecurityGroups(vpc: ec2.IVpc, redis: ec2.ISecurityGroup) {
    const group = (id: string, description: string) =>
      new ec2.SecurityGroup(this, id, { vpc, description, allowAllOutbound: false });
    const loadBalancer = group('RestLoadBalancerSecurityGroup', 'Sluice REST load balancer');
    const jobManagers = group('JobManagerSecurityGroup', 'Sluice JobManagers');
    const taskManagers = group('TaskManagerSecurityGroup', 'Sluice TaskManagers');
    const rest = ec2.Port.tcp(SLUICE_PORTS.rest);

    loadBalancer.addIngressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), rest, 'REST clients inside the VPC');
    for (const tasks of [jobManagers, taskManagers]) {
      // AWS APIs (S3 via the gateway endpoint, SQS, ECR, Logs, Secrets Manager, ECS) are HTTPS.
      tasks.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs over HTTPS');
      tasks.connections.allowTo(redis, ec2.Port.tcp(SLUICE_PORTS.redis), 'Redis (TLS)');
    }
    taskManagers.connections.allowTo(
      jobManagers,
      ec2.Port.tcp(SLUICE_PORTS.rpc),
      'control connection to the leader',
    );
    taskManagers.connections.allowInternally(
      ec2.Port.tcp(SLUICE_PORTS.data),
      'exchange between TaskManagers',
    );
    jobManagers.connections.allowInternally(rest, 'a standby forwards REST calls to the leader');
    return { loadBalancer, jobManagers, taskManagers };
  }
}

/** One image for both roles; an asset is built once and pushed to the bootstrap repository. */
function containerImage(scope: Construct, source: ImageSource): ecs.ContainerImage {
  if (source.kind === 'registry') return ecs.ContainerImage.fromRegistry(source.uri);
  const asset = new ecrAssets.DockerImageAsset(scope, 'Image', {
    directory: source.directory,
    file: source.file,
    platform: ecrAssets.Platform.LINUX_AMD64,
  });
  return ecs.ContainerImage.fromDockerImageAsset(asset);
}
