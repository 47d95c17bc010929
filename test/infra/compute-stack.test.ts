/**
 * Compute stack (docs/architecture.md §12): ECS services, load balancer, autoscaling, service discovery,
 * security groups, logs, container environment and outputs. Synthesized once in beforeAll.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { synthesizeSluice, type SynthesizedSluice } from '../helpers/cdk-app';
import { CONFIG_OPTIONS, RESERVED_ENV_VARS, envNameForKey } from '../../runtime/config';
import type { ConfigKey } from '../../runtime/config';

let synth: SynthesizedSluice;
let compute: Template;

beforeAll(() => {
  synth = synthesizeSluice({
    taskManager: { minCount: 3, maxCount: 9, slots: 4, targetCpuPercent: 55 },
    logRetentionDays: 14,
    serviceDiscoveryNamespace: 'sluice.internal',
  });
  compute = synth.compute;
}, 120_000);

interface ContainerDefinition {
  Name: string;
  Command?: string[];
  Environment?: Array<{ Name: string; Value: unknown }>;
  Secrets?: Array<{ Name: string; ValueFrom: unknown }>;
  PortMappings?: Array<{ ContainerPort: number }>;
  LogConfiguration?: { LogDriver: string; Options: Record<string, unknown> };
}

function container(name: string): ContainerDefinition {
  const defs = Object.values(compute.findResources('AWS::ECS::TaskDefinition')).flatMap(
    (r) => (r.Properties?.ContainerDefinitions ?? []) as ContainerDefinition[],
  );
  const found = defs.find((d) => d.Name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}

function envOf(name: string): Record<string, string> {
  return Object.fromEntries(
    (container(name).Environment ?? []).map((e) => [e.Name, JSON.stringify(e.Value)]),
  );
}

describe('JobManager', () => {
  test('TaskManagers find the leader through Redis, not through the service name of both job managers', () => {
    expect(envOf('taskmanager').SLUICE_HIGH_AVAILABILITY_TYPE).toBe('"redis"');
    expect(envOf('jobmanager').SLUICE_JOBMANAGER_RPC_ADDRESS).not.toContain('jobmanager.');
  });

  test('runs a leader and a standby on Fargate', () => {
    compute.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 2,
      LaunchType: 'FARGATE',
      LoadBalancers: [Match.objectLike({ ContainerName: 'jobmanager', ContainerPort: 8081 })],
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
  });

  test('REST sits behind an internal ALB whose target group checks /livez on 8081', () => {
    compute.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      Type: 'application',
    });
    compute.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 8081, Protocol: 'HTTP' });
    compute.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8081,
      TargetType: 'ip',
      HealthCheckPath: '/livez',
      HealthCheckPort: '8081',
      Matcher: { HttpCode: '200' },
    });
  });

  test('container runs `jobmanager`, exposes REST and RPC, gets config and secrets as SLUICE_*', () => {
    const jm = container('jobmanager');
    expect(jm.Command).toEqual(['jobmanager']);
    expect(jm.PortMappings?.map((p) => p.ContainerPort).sort()).toEqual([6123, 8081]);
    const env = envOf('jobmanager');
    expect(env.SLUICE_HIGH_AVAILABILITY_TYPE).toBe('"redis"');
    expect(env.SLUICE_HIGH_AVAILABILITY_REDIS_URL).toContain('rediss://');
    expect(env.SLUICE_S3_BUCKET).toContain('StorageBucket');
    expect(env.SLUICE_S3_PREFIX).toBe('"sluice"');
    expect(env.SLUICE_REST_PORT).toBe('"8081"');
    // Each task advertises its own address for the leader election; REST listens everywhere.
    expect(env.SLUICE_JOBMANAGER_RPC_ADDRESS).toBe('"auto"');
    expect(env.SLUICE_JOBMANAGER_RPC_BIND_ADDRESS).toBe('"0.0.0.0"');
    expect(env.SLUICE_REST_ADDRESS).toBe('"0.0.0.0"');
    expect(env.SLUICE_RESOURCEMANAGER_ECS_TASK_DEFINITION).toContain('TaskManagersTaskTaskDefinition');
    expect(env.SLUICE_RESOURCEMANAGER_ECS_CONTAINER_NAME).toBe('"taskmanager"');
    expect(env.SLUICE_RESOURCEMANAGER_ECS_SUBNETS).toContain('privateSubnet');
    const secrets = (jm.Secrets ?? []).map((s) => s.Name).sort();
    expect(secrets).toEqual(['SLUICE_HIGH_AVAILABILITY_REDIS_PASSWORD', 'SLUICE_REST_TOKEN']);
    // The token never appears as a plain environment value.
    expect(Object.keys(env).some((k) => k.includes('PASSWORD') || k.includes('TOKEN'))).toBe(false);
  });
});

describe('TaskManager', () => {
  test('autoscaling bounds come from the props, CPU target tracking at the configured target', () => {
    compute.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 3,
      MaxCapacity: 9,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    compute.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 55,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
    compute.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 3, LaunchType: 'FARGATE' });
  });

  test('container runs `taskmanager` with its slots, data port, Redis token as a secret', () => {
    const tm = container('taskmanager');
    expect(tm.Command).toEqual(['taskmanager']);
    expect(tm.PortMappings?.map((p) => p.ContainerPort)).toEqual([6121]);
    expect(envOf('taskmanager').SLUICE_TASKMANAGER_NUMBEROFTASKSLOTS).toBe('"4"');
    expect((tm.Secrets ?? []).map((s) => s.Name).sort()).toEqual([
      'SLUICE_HIGH_AVAILABILITY_REDIS_PASSWORD',
      'SLUICE_REST_TOKEN',
    ]);
  });

  test('task definition family is stable (IAM for RunTask names it)', () => {
    compute.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'sluice-taskmanager',
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
    });
  });
});

describe('service discovery', () => {
  test('a private DNS namespace with A records for jobmanager and taskmanager', () => {
    compute.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', { Name: 'sluice.internal' });
    for (const name of ['jobmanager', 'taskmanager']) {
      compute.hasResourceProperties('AWS::ServiceDiscovery::Service', {
        Name: name,
        DnsConfig: Match.objectLike({ DnsRecords: [{ Type: 'A', TTL: 10 }] }),
      });
    }
    compute.resourcePropertiesCountIs(
      'AWS::ECS::Service',
      { ServiceRegistries: [{ RegistryArn: Match.anyValue() }] },
      2,
    );
  });
});

describe('security groups', () => {
  interface Rule {
    IpProtocol: string;
    FromPort?: number;
    ToPort?: number;
    CidrIp?: unknown;
  }

  function ingressRules(): Rule[] {
    const standalone = Object.values(compute.findResources('AWS::EC2::SecurityGroupIngress')).map(
      (r) => r.Properties as Rule,
    );
    const inline = Object.values(compute.findResources('AWS::EC2::SecurityGroup')).flatMap(
      (r) => (r.Properties?.SecurityGroupIngress ?? []) as Rule[],
    );
    return [...standalone, ...inline];
  }

  test('ingress only on the Sluice ports and Redis, each a single port', () => {
    const rules = ingressRules();
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.IpProtocol).toBe('tcp');
      expect(rule.FromPort).toBe(rule.ToPort);
      expect([8081, 6121, 6123, 6379]).toContain(rule.FromPort);
    }
    const ports = new Set(rules.map((r) => r.FromPort));
    expect([...ports].sort()).toEqual([6121, 6123, 6379, 8081]);
  });

  test('no ingress from the internet; CIDR ingress only from the VPC range', () => {
    for (const rule of ingressRules()) {
      if (rule.CidrIp === undefined) continue;
      expect(rule.CidrIp).not.toBe('0.0.0.0/0');
      expect(JSON.stringify(rule.CidrIp)).toContain('CidrBlock');
    }
  });

  test('task security groups do not allow all outbound traffic', () => {
    const groups = Object.values(compute.findResources('AWS::EC2::SecurityGroup'));
    expect(groups).toHaveLength(3);
    for (const g of groups) {
      const egress = (g.Properties?.SecurityGroupEgress ?? []) as Rule[];
      expect(egress.some((e) => e.IpProtocol === '-1')).toBe(false);
    }
  });
});

describe('logs', () => {
  test('every log group has the configured retention and both containers log there', () => {
    const groups = Object.values(compute.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(2);
    for (const g of groups) expect(g.Properties?.RetentionInDays).toBe(14);
    for (const name of ['jobmanager', 'taskmanager']) {
      expect(container(name).LogConfiguration?.LogDriver).toBe('awslogs');
    }
  });
});

describe('outputs', () => {
  test('bucket, REST endpoint, cluster, task definition and RunTask network settings', () => {
    const outputs = compute.findOutputs('*');
    for (const key of [
      'BucketName',
      'RestEndpoint',
      'ClusterArn',
      'TaskManagerTaskDefinitionArn',
      'RunTaskSubnets',
      'RunTaskSecurityGroups',
    ]) {
      expect(outputs[key]).toBeDefined();
    }
    expect(JSON.stringify(outputs.RestEndpoint?.Value)).toContain('DNSName');
    expect(JSON.stringify(outputs.RestEndpoint?.Value)).toContain(':8081');
  });
});

describe('configuration handed to the containers', () => {
  test('every SLUICE_* variable and secret is a config key the runtime accepts', () => {
    const known = new Set([
      ...Object.keys(CONFIG_OPTIONS).map((k) => envNameForKey(k as ConfigKey)),
      ...RESERVED_ENV_VARS,
    ]);
    for (const name of ['jobmanager', 'taskmanager']) {
      const c = container(name);
      const names = [...Object.keys(envOf(name)), ...(c.Secrets ?? []).map((s) => s.Name)];
      expect(names.length).toBeGreaterThan(5);
      for (const variable of names.filter((n) => n.startsWith('SLUICE_')))
        expect([name, variable, known.has(variable)]).toEqual([name, variable, true]);
    }
  });

  test('both roles get the cluster token as a secret', () => {
    for (const name of ['jobmanager', 'taskmanager']) {
      expect((container(name).Secrets ?? []).map((s) => s.Name)).toContain('SLUICE_REST_TOKEN');
    }
  });
});
