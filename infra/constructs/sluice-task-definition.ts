import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface SluiceTaskDefinitionProps {
  /** `jobmanager` or `taskmanager`: the CLI subcommand and the container name. */
  role: 'jobmanager' | 'taskmanager';
  /** Task-definition family (`<namePrefix>-<role>`), stable so IAM can name it. */
  family: string;
  image: ecs.ContainerImage;
  cpu: number;
  memoryMiB: number;
  ports: number[];
  environment: Record<string, string>;
  secrets: Record<string, ecs.Secret>;
  logRetention: logs.RetentionDays;
}

/**
 * One Fargate task definition running the Sluice image in a given role, with its own log
 * group (bounded retention) and an init process so SIGTERM reaches Node and the process can
 * drain before ECS sends SIGKILL.
 */
export class SluiceTaskDefinition extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SluiceTaskDefinitionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: props.family,
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    // No container-level memory limit: the task size bounds it, and RunTask can then resize a
    // TaskManager with task-level overrides alone (see EcsResourceDriver).
    this.container = this.taskDefinition.addContainer(props.role, {
      containerName: props.role,
      image: props.image,
      command: [props.role],
      environment: props.environment,
      secrets: props.secrets,
      portMappings: props.ports.map((containerPort) => ({ containerPort, protocol: ecs.Protocol.TCP })),
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: props.role }),
      linuxParameters: new ecs.LinuxParameters(this, 'Linux', { initProcessEnabled: true }),
      stopTimeout: Duration.seconds(60),
    });
  }

  get taskRole(): iam.IRole {
    return this.taskDefinition.taskRole;
  }

  /** The execution role (image pull, logs, secret injection); created on first use. */
  get executionRole(): iam.IRole {
    return this.taskDefinition.obtainExecutionRole();
  }
}
