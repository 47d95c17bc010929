/**
 * Least privilege across every stack: no wildcard actions, S3 access scoped to the bucket and
 * key prefix, SQS scoped to the exchange queue-name prefix, ECS and PassRole scoped to the
 * TaskManager task definition, cluster and roles. Synthesized once in beforeAll.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { actionsOf, iamStatements, json, synthesizeSluice, type IamStatement } from '../helpers/cdk-app';

let templates: Record<string, Template>;
let all: IamStatement[];
let compute: IamStatement[];

beforeAll(() => {
  const synth = synthesizeSluice({ s3Prefix: 'data/sluice', exchangeQueuePrefix: 'sx' });
  templates = { network: synth.network, stateful: synth.stateful, compute: synth.compute };
  all = Object.values(templates).flatMap(iamStatements);
  compute = iamStatements(synth.compute);
}, 120_000);

function withAction(statements: IamStatement[], predicate: (action: string) => boolean): IamStatement[] {
  return statements.filter((s) => actionsOf(s).some(predicate));
}

test('there are policies to check', () => {
  expect(all.length).toBeGreaterThan(10);
});

test('no statement grants `*` or a whole service (`s3:*`, `sqs:*`, …)', () => {
  for (const s of all) {
    for (const action of actionsOf(s)) {
      expect(action).not.toBe('*');
      expect(action).not.toMatch(/:\*$/);
    }
  }
});

test('every S3 statement is scoped to the bucket ARN (objects: under the key prefix)', () => {
  const s3 = withAction(compute, (a) => a.startsWith('s3:'));
  expect(s3.length).toBeGreaterThan(0);
  for (const s of s3) {
    expect(s.Effect).toBe('Allow');
    const resource = json(s.Resource);
    expect(resource).toContain('StorageBucket');
    if (actionsOf(s).some((a) => a.endsWith('Object') || a === 's3:AbortMultipartUpload')) {
      expect(resource).toContain('/data/sluice/*');
    }
  }
});

test('object actions are exactly get/put/delete/abort-multipart', () => {
  const objects = withAction(compute, (a) => a === 's3:GetObject');
  expect(objects).toHaveLength(2); // JobManager and TaskManager
  for (const s of objects) {
    expect(actionsOf(s).sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:GetObject',
      's3:PutObject',
    ]);
  }
});

test('ListBucket carries an s3:prefix condition for the key prefix', () => {
  const list = withAction(compute, (a) => a === 's3:ListBucket');
  expect(list).toHaveLength(2);
  for (const s of list) {
    expect(s.Condition).toEqual({ StringLike: { 's3:prefix': ['data/sluice/*'] } });
  }
});

test('SQS statements are scoped to the queue-name prefix ARN', () => {
  const sqs = withAction(compute, (a) => a.startsWith('sqs:'));
  expect(sqs).toHaveLength(2);
  for (const s of sqs) expect(json(s.Resource)).toMatch(/:sx-\*"\]\]\}$/);
  const tm = sqs.find((s) => !actionsOf(s).includes('sqs:DeleteQueue'));
  expect(tm).toBeDefined();
});

test('RunTask only for the TaskManager family in this cluster; Stop/Describe only in this cluster', () => {
  const run = withAction(compute, (a) => a === 'ecs:RunTask');
  expect(run).toHaveLength(1);
  expect(json(run[0]?.Resource)).toContain(':task-definition/sluice-taskmanager:*');
  expect(json(run[0]?.Condition)).toContain('ecs:cluster');

  const manage = withAction(compute, (a) => a === 'ecs:StopTask' || a === 'ecs:DescribeTasks');
  expect(manage).toHaveLength(1);
  expect(actionsOf(manage[0] as IamStatement).sort()).toEqual(['ecs:DescribeTasks', 'ecs:StopTask']);
  expect(json(manage[0]?.Resource)).toContain(':task/');
  expect(json(manage[0]?.Condition)).toContain('ecs:cluster');
});

test('PassRole names exactly the two TaskManager roles, only towards ECS tasks', () => {
  const pass = withAction(all, (a) => a === 'iam:PassRole');
  expect(pass).toHaveLength(1);
  const resources = pass[0]?.Resource as unknown[];
  expect(resources).toHaveLength(2);
  expect(json(resources)).toContain('TaskManagersTaskTaskDefinitionTaskRole');
  expect(json(resources)).toContain('TaskManagersTaskTaskDefinitionExecutionRole');
  expect(pass[0]?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
});

test('secret reads are limited to the Redis token and the REST token', () => {
  const reads = withAction(all, (a) => a === 'secretsmanager:GetSecretValue');
  expect(reads.length).toBeGreaterThan(0);
  for (const s of reads) {
    const resource = json(s.Resource);
    expect(resource).not.toBe('"*"');
    expect(resource).toMatch(/RedisAuthToken|RestToken/);
  }
});

test('the only `Resource: *` statement is ECR GetAuthorizationToken (it has no resource form)', () => {
  const star = all.filter(
    (s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')),
  );
  for (const s of star) expect(actionsOf(s)).toEqual(['ecr:GetAuthorizationToken']);
});
