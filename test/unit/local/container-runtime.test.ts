/**
 * detectContainerRuntime against REAL fake daemons: HTTP servers on unix sockets (and one on
 * loopback TCP for DOCKER_HOST=tcp://) that answer `/_ping` with OK, hang, or fail. No Docker
 * is needed; each test gets its own temp dir and servers, closed afterwards.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { defaultSocketPaths, detectContainerRuntime } from '../../../local/cloud/container-runtime';

type Behaviour = 'ok' | 'hang' | 'error500' | 'not-ok-body';

interface FakeDaemon {
  server: http.Server;
  requests: Array<{ method?: string; url?: string }>;
}

let dir: string;
let daemons: FakeDaemon[];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sluice-rt-'));
  daemons = [];
});

afterEach(async () => {
  for (const d of daemons) {
    d.server.closeAllConnections();
    await new Promise<void>((resolve) => d.server.close(() => resolve()));
  }
  rmSync(dir, { recursive: true, force: true });
});

async function fakeDaemon(
  behaviour: Behaviour,
  listenOn: string | { port: 0; host: '127.0.0.1' },
): Promise<FakeDaemon> {
  const requests: FakeDaemon['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url });
    if (behaviour === 'hang') return; // accept, never answer
    if (behaviour === 'error500') {
      res.writeHead(500).end('{"message":"daemon unhappy"}');
      return;
    }
    res
      .writeHead(200, { 'Content-Type': 'text/plain' })
      .end(behaviour === 'ok' && req.url === '/_ping' ? 'OK' : 'hello');
  });
  await new Promise<void>((resolve) => {
    if (typeof listenOn === 'string') server.listen(listenOn, resolve);
    else server.listen(listenOn.port, listenOn.host, resolve);
  });
  const daemon = { server, requests };
  daemons.push(daemon);
  return daemon;
}

const sock = (name: string) => path.join(dir, name);

test('a socket that answers /_ping with OK is available, named by its endpoint', async () => {
  const daemon = await fakeDaemon('ok', sock('docker.sock'));
  const status = await detectContainerRuntime({ env: {}, socketPaths: [sock('docker.sock')] });
  expect(status).toEqual({ available: true, endpoint: `unix://${sock('docker.sock')}` });
  expect(daemon.requests).toEqual([{ method: 'GET', url: '/_ping' }]);
});

test('the first existing socket is used; missing ones and regular files are skipped', async () => {
  writeFileSync(sock('not-a-socket'), 'plain file');
  const first = await fakeDaemon('ok', sock('first.sock'));
  const second = await fakeDaemon('ok', sock('second.sock'));
  const status = await detectContainerRuntime({
    env: {},
    socketPaths: [sock('missing.sock'), sock('not-a-socket'), sock('first.sock'), sock('second.sock')],
  });
  expect(status).toEqual({ available: true, endpoint: `unix://${sock('first.sock')}` });
  expect(first.requests).toHaveLength(1);
  expect(second.requests).toHaveLength(0);
});

test('a daemon that accepts but never answers times out (unavailable, says so)', async () => {
  await fakeDaemon('hang', sock('hang.sock'));
  const started = Date.now();
  const status = await detectContainerRuntime({ env: {}, socketPaths: [sock('hang.sock')], timeoutMs: 200 });
  const elapsed = Date.now() - started;
  expect(status.available).toBe(false);
  expect(!status.available && status.reason).toBe(
    `unix://${sock('hang.sock')}: GET /_ping timed out after 200 ms`,
  );
  expect(elapsed).toBeGreaterThanOrEqual(190);
  expect(elapsed).toBeLessThan(1500);
});

test('the default timeout is one second', async () => {
  await fakeDaemon('hang', sock('hang.sock'));
  const started = Date.now();
  const status = await detectContainerRuntime({ env: {}, socketPaths: [sock('hang.sock')] });
  const elapsed = Date.now() - started;
  expect(!status.available && status.reason).toContain('timed out after 1000 ms');
  expect(elapsed).toBeGreaterThanOrEqual(990);
  expect(elapsed).toBeLessThan(3000);
});

test('a daemon answering HTTP 500 is unavailable', async () => {
  await fakeDaemon('error500', sock('sick.sock'));
  const status = await detectContainerRuntime({ env: {}, socketPaths: [sock('sick.sock')] });
  expect(status).toEqual({
    available: false,
    reason: `unix://${sock('sick.sock')}: GET /_ping answered HTTP 500`,
  });
});

test('an HTTP server that answers 200 but not "OK" is not a container runtime', async () => {
  await fakeDaemon('not-ok-body', sock('web.sock'));
  const status = await detectContainerRuntime({ env: {}, socketPaths: [sock('web.sock')] });
  expect(status.available).toBe(false);
  expect(!status.available && status.reason).toContain('answered 200 but not OK');
});

test('no socket anywhere: unavailable, listing where it looked', async () => {
  const paths = [sock('a.sock'), sock('b.sock')];
  const status = await detectContainerRuntime({ env: {}, socketPaths: paths });
  expect(status).toEqual({
    available: false,
    reason: `DOCKER_HOST is not set and no usable socket exists at ${paths.join(', ')}`,
  });
});

test('DOCKER_HOST=tcp://127.0.0.1:<port> pings a real loopback HTTP server', async () => {
  const daemon = await fakeDaemon('ok', { port: 0, host: '127.0.0.1' });
  const { port } = daemon.server.address() as AddressInfo;
  // A working socket in the list must not be used: DOCKER_HOST wins, as for the docker CLI.
  const socketDaemon = await fakeDaemon('ok', sock('docker.sock'));
  const status = await detectContainerRuntime({
    env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` },
    socketPaths: [sock('docker.sock')],
  });
  expect(status).toEqual({ available: true, endpoint: `tcp://127.0.0.1:${port}` });
  expect(daemon.requests).toEqual([{ method: 'GET', url: '/_ping' }]);
  expect(socketDaemon.requests).toHaveLength(0);
});

test('DOCKER_HOST=tcp:// to a closed port: connection refused', async () => {
  const daemon = await fakeDaemon('ok', { port: 0, host: '127.0.0.1' });
  const { port } = daemon.server.address() as AddressInfo;
  await new Promise<void>((resolve) => daemon.server.close(() => resolve()));
  daemons = daemons.filter((d) => d !== daemon);
  const status = await detectContainerRuntime({ env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
  expect(status).toEqual({
    available: false,
    reason: `tcp://127.0.0.1:${port}: cannot connect (ECONNREFUSED)`,
  });
});

test('DOCKER_HOST=unix:// to a live socket works; to a missing one says it cannot connect', async () => {
  await fakeDaemon('ok', sock('custom.sock'));
  await expect(
    detectContainerRuntime({ env: { DOCKER_HOST: `unix://${sock('custom.sock')}` } }),
  ).resolves.toEqual({
    available: true,
    endpoint: `unix://${sock('custom.sock')}`,
  });
  const missing = await detectContainerRuntime({ env: { DOCKER_HOST: `unix://${sock('nope.sock')}` } });
  expect(missing).toEqual({
    available: false,
    reason: `unix://${sock('nope.sock')}: cannot connect (ENOENT)`,
  });
});

test('unsupported DOCKER_HOST schemes and TLS without certificates are explained', async () => {
  const ssh = await detectContainerRuntime({ env: { DOCKER_HOST: 'ssh://me@host' } });
  expect(ssh).toEqual({
    available: false,
    reason: "DOCKER_HOST 'ssh://me@host': only unix:// and tcp:// are supported",
  });
  const tls = await detectContainerRuntime({
    env: { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: sock('no-certs') },
  });
  expect(!tls.available && tls.reason).toContain('client certificates');
});

test('default socket paths cover Docker, Docker Desktop, rootless, Colima and Podman', () => {
  expect(defaultSocketPaths({ HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1000' })).toEqual([
    '/var/run/docker.sock',
    '/home/u/.docker/run/docker.sock',
    '/run/user/1000/docker.sock',
    '/home/u/.colima/default/docker.sock',
    '/run/user/1000/podman/podman.sock',
  ]);
  expect(defaultSocketPaths({ HOME: '/home/u' })).toEqual([
    '/var/run/docker.sock',
    '/home/u/.docker/run/docker.sock',
    '/home/u/.colima/default/docker.sock',
  ]);
});
