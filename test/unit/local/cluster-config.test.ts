/**
 * The environment the launcher gives cluster processes, read back through the real config
 * loader: every key it sets must exist and validate, and mean what the cloud needs.
 */
import type { ClusterSettings } from '../../../local/cluster-config';
import {
  checkClusterProcessEnv,
  clusterProcessEnv,
  jobManagerConfig,
  taskManagerConfig,
} from '../../../local/cluster-config';
import type { LocalCloud } from '../../../local/local-cloud';
import { embeddedConfig, emulated } from '../../../local/local-cloud';
import { loadConfig } from '../../../runtime/config';
import { ConfigError } from '../../../runtime/errors';

const settings: ClusterSettings = { token: 'tok-123', restPort: 18081, rpcPort: 16123 };

function cloud(fields: Partial<LocalCloud>): LocalCloud {
  return {
    mode: 'processes',
    reason: 'test',
    description: 'test',
    config: {},
    redisUrl: null,
    s3Endpoint: null,
    sqsEndpoint: null,
    bucket: null,
    storageDir: null,
    pids: {},
    stop: async () => undefined,
    ...fields,
  };
}

const processesCloud = cloud(
  emulated({
    redisUrl: 'redis://127.0.0.1:6390',
    s3Endpoint: 'http://127.0.0.1:4570',
    sqsEndpoint: 'http://127.0.0.1:4570',
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    bucket: 'sluice-local',
  }),
);

/** Only what the launcher sets, so the test does not depend on the shell it runs in. */
const cleanBase = { PATH: process.env.PATH };

test('job manager in an emulated cloud: Redis HA, S3 blobs on the emulator, REST and RPC on loopback', () => {
  const env = clusterProcessEnv(cleanBase, jobManagerConfig(processesCloud, settings));
  const config = loadConfig({ env });
  expect(config['high-availability.type']).toBe('redis');
  expect(config['high-availability.redis.url']).toBe('redis://127.0.0.1:6390');
  expect(config['storage.type']).toBe('s3');
  expect(config['s3.bucket']).toBe('sluice-local');
  expect(config['s3.endpoint']).toBe('http://127.0.0.1:4570');
  expect(config['s3.path-style-access']).toBe(true);
  expect(config['s3.access-key']).toBe('test');
  expect(config['s3.secret-key']).toBe('test');
  expect(config['sqs.endpoint']).toBe('http://127.0.0.1:4570');
  expect(config['rest.address']).toBe('127.0.0.1');
  expect(config['rest.port']).toBe(18081);
  expect(config['rest.token']).toBe('tok-123');
  expect(config['jobmanager.rpc.port']).toBe(16123);
  expect(env.SLUICE_REST_PORT).toBe('18081');
});

test('TaskManager in the embedded cloud: no HA, fs blobs, its id and slots, a free data port', () => {
  const embedded = cloud({ mode: 'embedded', config: embeddedConfig('/tmp/x/.sluice/storage') });
  const env = clusterProcessEnv(
    cleanBase,
    taskManagerConfig(embedded, settings, { id: 'taskmanager-2', slots: 3 }),
  );
  const config = loadConfig({ env });
  expect(config['high-availability.type']).toBe('none');
  expect(config['storage.type']).toBe('fs');
  expect(config['storage.fs.dir']).toBe('/tmp/x/.sluice/storage');
  expect(config['taskmanager.id']).toBe('taskmanager-2');
  expect(config['taskmanager.numberOfTaskSlots']).toBe(3);
  expect(config['taskmanager.data.port']).toBe(0);
  expect(config['jobmanager.rpc.address']).toBe('127.0.0.1');
  expect(config['jobmanager.rpc.port']).toBe(16123);
  expect(config['rest.token']).toBe('tok-123');
});

test("the user's own SLUICE_* settings reach the cluster, but the launcher's keys win", () => {
  const base = {
    ...cleanBase,
    SLUICE_HEARTBEAT_TIMEOUT: '30 s',
    SLUICE_REST_PORT: '9999',
    SLUICE_STORAGE_TYPE: 's3',
  };
  const config = loadConfig({ env: clusterProcessEnv(base, jobManagerConfig(processesCloud, settings)) });
  expect(config['heartbeat.timeout']).toBe(30_000);
  expect(config['rest.port']).toBe(18081);
});

test('logs default to info (jest silences them otherwise) unless the user chose a level', () => {
  expect(clusterProcessEnv(cleanBase, {}).SLUICE_LOG_LEVEL).toBe('info');
  expect(clusterProcessEnv({ SLUICE_LOG_LEVEL: 'debug' }, {}).SLUICE_LOG_LEVEL).toBe('debug');
  expect(clusterProcessEnv(cleanBase, {}).AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
});

test('checkClusterProcessEnv rejects a misspelt variable with a suggestion', () => {
  const env = clusterProcessEnv(
    { ...cleanBase, SLUICE_HEARTBEAT_TIMOUT: '1 s' },
    jobManagerConfig(processesCloud, settings),
  );
  expect(() => checkClusterProcessEnv(env, '/tmp')).toThrow(ConfigError);
  expect(() => checkClusterProcessEnv(env, '/tmp')).toThrow(
    /SLUICE_HEARTBEAT_TIMOUT.*did you mean SLUICE_HEARTBEAT_TIMEOUT/,
  );
  expect(() =>
    checkClusterProcessEnv(clusterProcessEnv(cleanBase, jobManagerConfig(processesCloud, settings)), '/tmp'),
  ).not.toThrow();
});
