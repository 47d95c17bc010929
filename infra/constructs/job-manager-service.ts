import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import type { FargateSize } from '../settings';
import { grantSluiceDataAccess, SQS_JOBMANAGER_ACTIONS, type SluiceDataAccess } from './sluice-data-access';
import { SLUICE_PORTS } from './sluice-environment';
import { SluiceTaskDefinition } from './sluice-task-definition';

export interface JobManagerServiceProps {
  cluster: ecs.ICluster;
  image: ecs.ContainerImage;
  securityGroup: ec2.ISecurityGroup;
  loadBalancerSecurityGroup: ec2.ISecurityGroup;
  namespace: servicediscovery.IPrivateDnsNamespace;
  namePrefix: string;
  size: FargateSize;
  /** Leader plus standbys (docs/architecture.md §9); 2 by default. */
  desiredCount?: number;
  environment: Record<string, string>;
  secrets: Record<string, ecs.Secret>;
  logRetention: logs.RetentionDays;
  dataAccess: SluiceDataAccess;
  /** What per-job mode launches: the JobManager may RunTask it and pass its roles, nothing else. */
  taskManagers: { family: string; taskRole: iam.IRole; executionRole: iam.IRole };
}

/**
 * The JobManager (docs/architecture.md §1, §9): a Fargate service with a leader and a standby, registered in
 * Cloud Map as `jobmanager.<namespace>` (RPC port for TaskManagers), behind an internal ALB
 * for REST whose target group checks `/livez`. Its role may launch and stop TaskManagers
 * of one task-definition family in this cluster, for the ECS resource driver.
 */
export class JobManagerService extends Construct {
  static readonly CONTAINER_NAME = 'jobmanager';
  readonly definition: SluiceTaskDefinition;
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;

  constructor(scope: Construct, id: string, props: JobManagerServiceProps) {
    super(scope, id);
    this.definition = new SluiceTaskDefinition(this, 'Task', {
      role: 'jobmanager',
      family: `${props.namePrefix}-jobmanager`,
      image: props.image,
      cpu: props.size.cpu,
      memoryMiB: props.size.memoryMiB,
      ports: [SLUICE_PORTS.rest, SLUICE_PORTS.rpc],
      environment: props.environment,
      secrets: props.secrets,
      logRetention: props.logRetention,
    });
    grantSluiceDataAccess(this.definition.taskRole, props.dataAccess, SQS_JOBMANAGER_ACTIONS);
    this.grantTaskManagerLaunch(props);

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.definition.taskDefinition,
      desiredCount: props.desiredCount ?? 2,
      securityGroups: [props.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      // Replace one at a time so a leader or a standby is always up during a deployment.
      minHealthyPercent: 50,
      maxHealthyPercent: 100,
      circuitBreaker: { rollback: true },
      cloudMapOptions: {
        name: 'jobmanager',
        cloudMapNamespace: props.namespace,
        dnsRecordType: servicediscovery.DnsRecordType.A,
        dnsTtl: Duration.seconds(10),
      },
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'RestLoadBalancer', {
      vpc: props.cluster.vpc,
      internetFacing: false,
      securityGroup: props.loadBalancerSecurityGroup,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    // `open: false`: the security group already admits the VPC only; don't add 0.0.0.0/0.
    const listener = this.loadBalancer.addListener('Rest', {
      port: SLUICE_PORTS.rest,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
    });
    this.targetGroup = listener.addTargets('JobManagers', {
      port: SLUICE_PORTS.rest,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [
        this.service.loadBalancerTarget({
          containerName: JobManagerService.CONTAINER_NAME,
          containerPort: SLUICE_PORTS.rest,
        }),
      ],
      deregistrationDelay: Duration.seconds(15),
      // Liveness, not readiness (`/healthz`): ECS replaces a task that fails this check, and
      // replacing job managers while Redis is down would only restart their jobs, not fix Redis.
      healthCheck: {
        path: '/livez',
        port: String(SLUICE_PORTS.rest),
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
  }

  get taskRole(): iam.IRole {
    return this.definition.taskRole;
  }

  /**
   * Per-job mode: RunTask of the TaskManager family in this cluster only, Stop/DescribeTasks of
   * tasks in this cluster only, tagging only at launch, and PassRole of exactly the two
   * TaskManager roles, only to ECS tasks.
   */
  private grantTaskManagerLaunch(props: JobManagerServiceProps): void {
    const stack = Stack.of(this);
    const clusterCondition = { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } };
    const taskArns = stack.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${props.cluster.clusterName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const role = this.definition.taskRole;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RunTaskManagers',
        actions: ['ecs:RunTask'],
        resources: [
          stack.formatArn({
            service: 'ecs',
            resource: 'task-definition',
            resourceName: `${props.taskManagers.family}:*`,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
        conditions: clusterCondition,
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ManageTaskManagers',
        actions: ['ecs:StopTask', 'ecs:DescribeTasks'],
        resources: [taskArns],
        conditions: clusterCondition,
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TagTaskManagersAtLaunch',
        actions: ['ecs:TagResource'],
        resources: [taskArns],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PassTaskManagerRoles',
        actions: ['iam:PassRole'],
        resources: [props.taskManagers.taskRole.roleArn, props.taskManagers.executionRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
  }
}
