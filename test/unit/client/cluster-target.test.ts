/**
 * resolveClusterTarget against real tiny HTTP servers on loopback: a healthy job manager, one
 * that never answers, and a closed port; the local cluster file in a temporary directory.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_CLUSTER_FILE, resolveClusterTarget } from '../../../runtime/client/cluster-target';
import { ConfigError } from '../../../runtime/errors';
import { freePort } from '../../helpers/free-port';

const servers: http.Server[] = [];
let cwd: string;

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Answers `/livez` like a job manager and counts the probes; `/healthz` answers as `ready`
 * says (a job manager with Redis down is live, not ready).
 */
async function healthyServer(ready = true): Promise<{ url: string; probes: () => number }> {
  let probes = 0;
  const url = await serve((req, res) => {
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/livez') {
      probes++;
      return json(200, { status: 'UP' });
    }
    if (req.url === '/healthz')
      return ready
        ? json(200, { status: 'UP' })
        : json(503, { code: 'SLUICE_UNAVAILABLE', message: 'Redis unreachable at 127.0.0.1:1' });
    json(404, { code: 'SLUICE_NOT_FOUND', message: 'no' });
  });
  return { url, probes: () => probes };
}

function writeLocalCluster(content: unknown): void {
  mkdirSync(join(cwd, '.sluice'), { recursive: true });
  writeFileSync(
    join(cwd, LOCAL_CLUSTER_FILE),
    typeof content === 'string' ? content : JSON.stringify(content),
  );
}

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'sluice-target-'));
});

afterEach(async () => {
  rmSync(cwd, { recursive: true, force: true });
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('explicit addresses', () => {
  test('--target embedded ignores every address', async () => {
    const target = await resolveClusterTarget({
      target: 'embedded',
      restUrl: 'http://127.0.0.1:1',
      env: {},
      cwd,
    });
    expect(target).toEqual({ kind: 'embedded', reason: '--target embedded' });
  });

  test('--rest-url wins over SLUICE_REST_URL, --token over SLUICE_TOKEN, without probing', async () => {
    const { url, probes } = await healthyServer();
    const target = await resolveClusterTarget({
      restUrl: `${url}/`,
      token: 'flag-token',
      env: { SLUICE_REST_URL: 'http://127.0.0.1:2', SLUICE_TOKEN: 'env-token' },
      cwd,
    });
    expect(target).toEqual({
      kind: 'cluster',
      restUrl: url,
      restUrls: [url],
      token: 'flag-token',
      source: '--rest-url',
    });
    expect(probes()).toBe(0);
  });

  test('SLUICE_REST_URL and SLUICE_TOKEN from the environment', async () => {
    const target = await resolveClusterTarget({
      env: { SLUICE_REST_URL: 'http://127.0.0.1:9', SLUICE_TOKEN: 'env-token' },
      cwd,
    });
    expect(target).toEqual({
      kind: 'cluster',
      restUrl: 'http://127.0.0.1:9',
      restUrls: ['http://127.0.0.1:9'],
      token: 'env-token',
      source: 'SLUICE_REST_URL',
    });
  });

  test('SLUICE_REST_URL may list every job manager, comma-separated; the first is tried first', async () => {
    const target = await resolveClusterTarget({
      env: { SLUICE_REST_URL: 'http://127.0.0.1:9/, http://127.0.0.1:10', SLUICE_TOKEN: 't' },
      cwd,
    });
    expect(target).toEqual({
      kind: 'cluster',
      restUrl: 'http://127.0.0.1:9',
      restUrls: ['http://127.0.0.1:9', 'http://127.0.0.1:10'],
      token: 't',
      source: 'SLUICE_REST_URL',
    });
    await expect(
      resolveClusterTarget({ restUrl: 'http://127.0.0.1:9,ftp://x', env: {}, cwd }),
    ).rejects.toThrow(/--rest-url: 'ftp:\/\/x' is not an http/);
    await expect(resolveClusterTarget({ restUrl: ' , ', env: {}, cwd })).rejects.toThrow(/holds no URL/);
  });

  test('an address that is not an http URL is a ConfigError naming its source', async () => {
    await expect(resolveClusterTarget({ restUrl: 'ftp://x', env: {}, cwd })).rejects.toThrow(
      /--rest-url: 'ftp:\/\/x' is not an http/,
    );
    await expect(resolveClusterTarget({ env: { SLUICE_REST_URL: 'nonsense' }, cwd })).rejects.toThrow(
      ConfigError,
    );
    await expect(resolveClusterTarget({ env: { SLUICE_REST_URL: 'nonsense' }, cwd })).rejects.toThrow(
      /^SLUICE_REST_URL: /,
    );
  });

  test("the local cluster's token goes only to the local cluster", async () => {
    const { url } = await healthyServer();
    writeLocalCluster({ restUrl: url, token: 'local-token' });
    const elsewhere = await resolveClusterTarget({ restUrl: 'http://127.0.0.1:9', env: {}, cwd });
    expect(elsewhere).toEqual({
      kind: 'cluster',
      restUrl: 'http://127.0.0.1:9',
      restUrls: ['http://127.0.0.1:9'],
      source: '--rest-url',
    });
    const same = await resolveClusterTarget({ restUrl: url, env: {}, cwd });
    expect(same).toEqual({
      kind: 'cluster',
      restUrl: url,
      restUrls: [url],
      token: 'local-token',
      source: '--rest-url',
    });
  });
});

describe('the local cluster file', () => {
  test('a local cluster that answers /livez is used with its token', async () => {
    const { url, probes } = await healthyServer();
    writeLocalCluster({ restUrl: url, token: 'local-token', pid: 123 });
    const target = await resolveClusterTarget({ env: {}, cwd });
    expect(target).toEqual({
      kind: 'cluster',
      restUrl: url,
      restUrls: [url],
      token: 'local-token',
      source: LOCAL_CLUSTER_FILE,
    });
    expect(probes()).toBe(1);
    // SLUICE_TOKEN still beats the file.
    expect(await resolveClusterTarget({ env: { SLUICE_TOKEN: 'env' }, cwd })).toMatchObject({ token: 'env' });
  });

  test('a live job manager whose dependencies are down still gets the command (its answer says why)', async () => {
    const { url, probes } = await healthyServer(false);
    writeLocalCluster({ restUrl: url, token: 't' });
    expect(await resolveClusterTarget({ env: {}, cwd })).toMatchObject({ kind: 'cluster', restUrl: url });
    expect(probes()).toBe(1);
  });

  test('a local cluster that does not answer in time: auto runs embedded, cluster fails, both say why', async () => {
    const url = await serve(() => undefined); // accepts, never answers
    writeLocalCluster({ restUrl: url, token: 't' });
    const started = Date.now();
    const target = await resolveClusterTarget({ env: {}, cwd, probeTimeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(target.kind).toBe('embedded');
    expect(target.kind === 'embedded' && target.reason).toContain(`does not answer (${url}: `);
    expect(target.kind === 'embedded' && target.reason).toContain('no answer within 200 ms');
    await expect(
      resolveClusterTarget({ target: 'cluster', env: {}, cwd, probeTimeoutMs: 200 }),
    ).rejects.toThrow(/does not answer/);
  });

  test('a local cluster whose first job manager is gone is reached through another (restUrls)', async () => {
    const gone = `http://127.0.0.1:${await freePort()}`;
    const { url } = await healthyServer();
    writeLocalCluster({ restUrl: gone, restUrls: [gone, url], token: 'local-token' });
    const target = await resolveClusterTarget({ env: {}, cwd });
    expect(target).toEqual({
      kind: 'cluster',
      restUrl: url,
      restUrls: [url, gone],
      token: 'local-token',
      source: LOCAL_CLUSTER_FILE,
    });
  });

  test('a local cluster whose port is closed runs embedded', async () => {
    writeLocalCluster({ restUrl: `http://127.0.0.1:${await freePort()}` });
    const target = await resolveClusterTarget({ env: {}, cwd });
    expect(target.kind).toBe('embedded');
    expect(target.kind === 'embedded' && target.reason).toContain('ECONNREFUSED');
  });

  test('a /livez that answers something else is not a job manager', async () => {
    const url = await serve((_req, res) => res.end('<html>hello</html>'));
    writeLocalCluster({ restUrl: url });
    expect((await resolveClusterTarget({ env: {}, cwd })).kind).toBe('embedded');
  });

  test.each([
    ['not JSON', '{restUrl', 'is not JSON'],
    ['no restUrl', { token: 'x' }, 'has no valid restUrl'],
    ['a bad restUrl', { restUrl: 'localhost:8081' }, 'is not an http'],
  ])('a file with %s: auto runs embedded saying why, cluster fails', async (_what, content, reason) => {
    writeLocalCluster(content);
    const target = await resolveClusterTarget({ env: {}, cwd });
    expect(target.kind === 'embedded' && target.reason).toContain(reason);
    await expect(resolveClusterTarget({ target: 'cluster', env: {}, cwd })).rejects.toThrow(reason);
  });
});

describe('nothing found', () => {
  test('auto runs embedded', async () => {
    const target = await resolveClusterTarget({ env: {}, cwd });
    expect(target).toEqual({
      kind: 'embedded',
      reason: `no --rest-url, SLUICE_REST_URL or ${LOCAL_CLUSTER_FILE}`,
    });
  });

  test('--target cluster is a ConfigError saying how to give an address', async () => {
    const err = await resolveClusterTarget({ target: 'cluster', env: {}, cwd }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(
      'pass --rest-url, set SLUICE_REST_URL, or start a local cluster with `npm run local`',
    );
  });
});
