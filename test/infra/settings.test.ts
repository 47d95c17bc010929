/** Deployment settings: defaults and validation errors that name the setting. */
import { ConfigError } from '../../runtime/errors';
import { DEFAULT_DEPLOYMENT_SETTINGS, resolveDeploymentSettings } from '../../infra/settings';
import { sluiceEnvName } from '../../infra/constructs/sluice-environment';

const image = { kind: 'registry', uri: 'example/sluice:1' } as const;

test('defaults fill what is not given, nested groups merge field by field', () => {
  const s = resolveDeploymentSettings({ image, taskManager: { maxCount: 12 } });
  expect(s.taskManager).toEqual({ ...DEFAULT_DEPLOYMENT_SETTINGS.taskManager, maxCount: 12 });
  expect(s.redis.nodeCount).toBe(2);
  expect(s.s3Prefix).toBe('sluice');
});

test.each([
  [{ taskManager: { minCount: 5, maxCount: 2 } }, 'taskManager.maxCount'],
  [{ taskManager: { minCount: 0 } }, 'taskManager.minCount'],
  [{ redis: { nodeCount: 1 } }, 'redis.nodeCount'],
  [{ s3Prefix: '/leading' }, 's3Prefix'],
  [{ s3Prefix: 'trailing/' }, 's3Prefix'],
  [{ logRetentionDays: 10 }, 'logRetentionDays'],
  [{ checkpointExpirationDays: 0 }, 'checkpointExpirationDays'],
  [{ namePrefix: 'Bad_Name' }, 'namePrefix'],
  [{ natGateways: 3 }, 'natGateways'],
])('rejects %j naming %s', (overrides, key) => {
  expect(() => resolveDeploymentSettings({ image, ...overrides })).toThrow(ConfigError);
  expect(() => resolveDeploymentSettings({ image, ...overrides })).toThrow(
    new RegExp(`^${key.replace('.', '\\.')}:`),
  );
});

test('an empty s3Prefix means the bucket root', () => {
  expect(resolveDeploymentSettings({ image, s3Prefix: '' }).s3Prefix).toBe('');
});

test('config keys map to SLUICE_* variables by one rule', () => {
  expect(sluiceEnvName('high-availability.redis.url')).toBe('SLUICE_HIGH_AVAILABILITY_REDIS_URL');
  expect(sluiceEnvName('taskmanager.numberOfTaskSlots')).toBe('SLUICE_TASKMANAGER_NUMBEROFTASKSLOTS');
  expect(sluiceEnvName('s3.bucket')).toBe('SLUICE_S3_BUCKET');
});
