import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import type { TaskManagerSettings } from '../settings';
import { grantSluiceDataAccess, SQS_TASKMANAGER_ACTIONS, type SluiceDataAccess } from './sluice-data-access';
import { SLUICE_PORTS, sluiceEnvironment } from './sluice-environment';
import { SluiceTaskDefinition } from './sluice-task-definition';

export interface TaskManagerServiceProps {
  cluster: ecs.ICluster;
  image: ecs.ContainerImage;
  securityGroup: ec2.ISecurityGroup;
  namespace: servicediscovery.IPrivateDnsNamespace;
  namePrefix: string;
  settings: TaskManagerSettings;
  environment: Record<string, string>;
  secrets: Record<string, ecs.Secret>;
  logRetention: logs.RetentionDays;
  dataAccess: SluiceDataAccess;
}

/**
 * Session-mode TaskManagers (docs/architecture.md §4): a Fargate service scaled on CPU between min and max,
 * registered in Cloud Map as `taskmanager.<namespace>` so peers reach the data port. Its task
 * definition is also what the JobManager's ECS resource driver launches with RunTask for
 * per-job TaskManagers.
 */
export class TaskManagerService extends Construct {
  static readonly CONTAINER_NAME = 'taskmanager';
  readonly definition: SluiceTaskDefinition;
  readonly service: ecs.FargateService;
  readonly scaling: ecs.ScalableTaskCount;

  constructor(scope: Construct, id: string, props: TaskManagerServiceProps) {
    super(scope, id);
    const s = props.settings;
    this.definition = new SluiceTaskDefinition(this, 'Task', {
      role: 'taskmanager',
      family: `${props.namePrefix}-taskmanager`,
      image: props.image,
      cpu: s.cpu,
      memoryMiB: s.memoryMiB,
      ports: [SLUICE_PORTS.data],
      environment: {
        ...props.environment,
        ...sluiceEnvironment({ 'taskmanager.numberOfTaskSlots': s.slots }),
      },
      secrets: props.secrets,
      logRetention: props.logRetention,
    });
    grantSluiceDataAccess(this.definition.taskRole, props.dataAccess, SQS_TASKMANAGER_ACTIONS);

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.definition.taskDefinition,
      desiredCount: s.minCount,
      securityGroups: [props.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      // Replacing a TaskManager restarts the jobs it runs, so a deployment first adds, then removes.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      cloudMapOptions: {
        name: 'taskmanager',
        cloudMapNamespace: props.namespace,
        dnsRecordType: servicediscovery.DnsRecordType.A,
        dnsTtl: Duration.seconds(10),
      },
    });

    this.scaling = this.service.autoScaleTaskCount({ minCapacity: s.minCount, maxCapacity: s.maxCount });
    this.scaling.scaleOnCpuUtilization('CpuTarget', {
      targetUtilizationPercent: s.targetCpuPercent,
      // Scale out fast under backpressure; scale in slowly since it restarts affected jobs.
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.minutes(10),
    });
  }

  get taskDefinition(): ecs.FargateTaskDefinition {
    return this.definition.taskDefinition;
  }
}
