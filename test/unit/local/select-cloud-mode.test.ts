/**
 * selectCloudMode: the decision logic with injected probes (each records whether it ran), and
 * the default probes end to end against a real fake daemon on a unix socket and a real
 * executable `redis-server` script on a temporary PATH.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ContainerRuntimeStatus } from '../../../local/cloud/container-runtime';
import type { ExecutableStatus } from '../../../local/cloud/find-executable';
import { findExecutable } from '../../../local/cloud/find-executable';
import {
  defaultCloudModeProbes,
  selectCloudMode,
  type CloudModeProbes,
} from '../../../local/cloud/select-cloud-mode';
import { ConfigError } from '../../../runtime/errors';

const RUNTIME_UP: ContainerRuntimeStatus = { available: true, endpoint: 'unix:///var/run/docker.sock' };
const RUNTIME_DOWN: ContainerRuntimeStatus = { available: false, reason: 'no socket' };
const REDIS_FOUND: ExecutableStatus = { available: true, path: '/usr/bin/redis-server' };
const REDIS_MISSING: ExecutableStatus = { available: false, reason: 'redis-server is not on PATH' };

function probes(runtime: ContainerRuntimeStatus, redis: ExecutableStatus) {
  const calls = { runtime: 0, redis: 0 };
  const p: CloudModeProbes = {
    containerRuntime: async () => {
      calls.runtime++;
      return runtime;
    },
    redisServer: async () => {
      calls.redis++;
      return redis;
    },
  };
  return { probes: p, calls };
}

describe('auto', () => {
  test('containers when a runtime answers (redis is not even probed)', async () => {
    const { probes: p, calls } = probes(RUNTIME_UP, REDIS_FOUND);
    const selection = await selectCloudMode('auto', p);
    expect(selection.mode).toBe('containers');
    expect(selection.containerEndpoint).toBe('unix:///var/run/docker.sock');
    expect(selection.reason).toContain('container runtime answered at unix:///var/run/docker.sock');
    expect(calls).toEqual({ runtime: 1, redis: 0 });
  });

  test('processes when no runtime answers but redis-server is on PATH', async () => {
    const { probes: p } = probes(RUNTIME_DOWN, REDIS_FOUND);
    const selection = await selectCloudMode('auto', p);
    expect(selection).toMatchObject({ mode: 'processes', redisServerPath: '/usr/bin/redis-server' });
    expect(selection.reason).toContain('no container runtime (no socket)');
    expect(selection.reason).toContain('/usr/bin/redis-server');
  });

  test('embedded when neither is there, saying both reasons', async () => {
    const { probes: p } = probes(RUNTIME_DOWN, REDIS_MISSING);
    const selection = await selectCloudMode('auto', p);
    expect(selection.mode).toBe('embedded');
    expect(selection.reason).toContain('no socket');
    expect(selection.reason).toContain('redis-server is not on PATH');
    expect(selection.reason).toContain('no HA');
  });
});

describe('explicit modes', () => {
  test('containers without a runtime is a ConfigError that says why and what else to use', async () => {
    const { probes: p } = probes(RUNTIME_DOWN, REDIS_FOUND);
    const err = await selectCloudMode('containers', p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      /'containers' cannot work here: no container runtime answers \(no socket\)/,
    );
    expect((err as Error).message).toContain("'processes' or 'auto'");
  });

  test('processes without redis-server is a ConfigError naming the missing binary', async () => {
    const { probes: p } = probes(RUNTIME_UP, REDIS_MISSING);
    await expect(selectCloudMode('processes', p)).rejects.toThrow(
      /'processes' cannot work here: redis-server is not on PATH/,
    );
  });

  test('containers and processes are honoured when they can work', async () => {
    await expect(
      selectCloudMode('containers', probes(RUNTIME_UP, REDIS_MISSING).probes),
    ).resolves.toMatchObject({
      mode: 'containers',
    });
    await expect(selectCloudMode('processes', probes(RUNTIME_UP, REDIS_FOUND).probes)).resolves.toMatchObject(
      {
        mode: 'processes',
      },
    );
  });

  test('embedded always works and probes nothing', async () => {
    const { probes: p, calls } = probes(RUNTIME_DOWN, REDIS_MISSING);
    await expect(selectCloudMode('embedded', p)).resolves.toMatchObject({ mode: 'embedded' });
    expect(calls).toEqual({ runtime: 0, redis: 0 });
  });
});

describe('default probes on a real (temporary) environment', () => {
  let dir: string;
  let bin: string;
  let server: http.Server | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sluice-mode-'));
    bin = path.join(dir, 'bin');
    mkdirSync(bin);
  });

  afterEach(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
      server = undefined;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  function fakeRedisServer(mode: number): string {
    const file = path.join(bin, 'redis-server');
    writeFileSync(file, '#!/bin/sh\nexit 0\n');
    chmodSync(file, mode);
    return file;
  }

  test('a live daemon behind DOCKER_HOST selects containers', async () => {
    const socketPath = path.join(dir, 'd.sock');
    server = http.createServer((_req, res) => res.end('OK'));
    await new Promise<void>((resolve) => server?.listen(socketPath, resolve));
    const env = { DOCKER_HOST: `unix://${socketPath}`, PATH: bin };
    const selection = await selectCloudMode('auto', defaultCloudModeProbes({ env }));
    expect(selection).toMatchObject({ mode: 'containers', containerEndpoint: `unix://${socketPath}` });
  });

  test('no daemon, an executable redis-server on PATH selects processes', async () => {
    const file = fakeRedisServer(0o755);
    const env = {
      DOCKER_HOST: `unix://${path.join(dir, 'none.sock')}`,
      PATH: `${path.join(dir, 'empty')}${path.delimiter}${bin}`,
    };
    const selection = await selectCloudMode('auto', defaultCloudModeProbes({ env }));
    expect(selection).toMatchObject({ mode: 'processes', redisServerPath: file });
  });

  test('a non-executable redis-server does not count; embedded is chosen', async () => {
    fakeRedisServer(0o644);
    const env = { DOCKER_HOST: `unix://${path.join(dir, 'none.sock')}`, PATH: bin };
    const selection = await selectCloudMode('auto', defaultCloudModeProbes({ env }));
    expect(selection.mode).toBe('embedded');
  });

  test('findExecutable returns the first match on PATH and explains a miss', async () => {
    const file = fakeRedisServer(0o755);
    const other = path.join(dir, 'other');
    mkdirSync(other);
    writeFileSync(path.join(other, 'redis-server'), '#!/bin/sh\n');
    chmodSync(path.join(other, 'redis-server'), 0o755);
    await expect(
      findExecutable('redis-server', { env: { PATH: [bin, other].join(path.delimiter) } }),
    ).resolves.toEqual({
      available: true,
      path: file,
    });
    await expect(findExecutable('redis-server', { env: { PATH: '' } })).resolves.toEqual(REDIS_MISSING);
  });
});
