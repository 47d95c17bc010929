import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterFile } from '../../../local/cluster-file';
import {
  assertNoClusterRunning,
  clusterFilePath,
  clusterFilePids,
  isProcessAlive,
  readClusterFile,
  removeClusterFile,
  writeClusterFile,
} from '../../../local/cluster-file';
import { ConflictError } from '../../../runtime/errors';

let rootDir: string;
let file: string;

const contents = (overrides: Partial<ClusterFile> = {}): ClusterFile => ({
  restUrl: 'http://127.0.0.1:8081',
  restUrls: ['http://127.0.0.1:8081'],
  storeConfig: { 'storage.type': 's3', 's3.bucket': 'sluice-local' },
  token: 'secret-token',
  cloud: 'processes',
  s3Endpoint: 'http://127.0.0.1:4566',
  sqsEndpoint: 'http://127.0.0.1:4566',
  bucket: 'sluice-local',
  redisUrl: 'redis://127.0.0.1:6379',
  storageDir: null,
  logDir: '/tmp/logs',
  pids: { launcher: 101, jobmanager: 102, taskmanagers: [103, 104], cloud: { redis: 105, fauxqs: 106 } },
  startedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

beforeEach(async () => {
  rootDir = await fs.mkdtemp(join(tmpdir(), 'sluice-cluster-file-'));
  file = clusterFilePath(rootDir);
});

afterEach(async () => {
  await fs.rm(rootDir, { recursive: true, force: true });
});

test('lives in .sluice/ under the root directory', () => {
  expect(clusterFilePath('/work/project')).toBe('/work/project/.sluice/local-cluster.json');
});

test('is written for the owner only, whatever the umask, and reads back the same', async () => {
  const previous = process.umask(0);
  try {
    await writeClusterFile(file, contents());
  } finally {
    process.umask(previous);
  }
  expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  expect(await readClusterFile(file)).toEqual(contents());
  expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({
    restUrl: 'http://127.0.0.1:8081',
    token: 'secret-token',
  });
  // No temporary file is left next to it.
  expect(await fs.readdir(join(rootDir, '.sluice'))).toEqual(['local-cluster.json']);
});

test('rewriting an existing, looser file makes it 0600 again', async () => {
  await fs.mkdir(join(rootDir, '.sluice'));
  await fs.writeFile(file, '{}', { mode: 0o644 });
  await writeClusterFile(file, contents());
  expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
});

test('reading a missing file gives undefined; a malformed one throws', async () => {
  expect(await readClusterFile(file)).toBeUndefined();
  await fs.mkdir(join(rootDir, '.sluice'));
  await fs.writeFile(file, '{not json');
  await expect(readClusterFile(file)).rejects.toThrow(SyntaxError);
});

test('removal with a token leaves another cluster’s file alone', async () => {
  await writeClusterFile(file, contents({ token: 'newer-cluster' }));
  await removeClusterFile(file, 'secret-token');
  expect(await readClusterFile(file)).toMatchObject({ token: 'newer-cluster' });
  await removeClusterFile(file, 'newer-cluster');
  expect(await readClusterFile(file)).toBeUndefined();
  await removeClusterFile(file, 'newer-cluster'); // missing is fine
  await removeClusterFile(file);
});

test('clusterFilePids lists every process it names', () => {
  expect(clusterFilePids(contents()).sort()).toEqual([101, 102, 103, 104, 105, 106]);
});

describe('assertNoClusterRunning', () => {
  test('passes when there is no file', async () => {
    await expect(assertNoClusterRunning(file, () => true)).resolves.toBeUndefined();
  });

  test('refuses while the launcher lives, saying how to stop it', async () => {
    await writeClusterFile(file, contents());
    const failure = assertNoClusterRunning(file, (pid) => pid === 101 || pid === 102);
    await expect(failure).rejects.toThrow(ConflictError);
    await expect(assertNoClusterRunning(file, (pid) => pid === 101)).rejects.toThrow(
      /already running here \(http:\/\/127\.0\.0\.1:8081.*kill 101/,
    );
    expect(await readClusterFile(file)).toBeDefined();
  });

  test('refuses when the launcher died but its children live on, naming them', async () => {
    await writeClusterFile(file, contents());
    await expect(assertNoClusterRunning(file, (pid) => pid === 103 || pid === 105)).rejects.toThrow(
      /pids 103, 105.*kill 103 105/,
    );
  });

  test('removes a stale file whose processes are all gone', async () => {
    await writeClusterFile(file, contents());
    await assertNoClusterRunning(file, () => false);
    expect(await readClusterFile(file)).toBeUndefined();
  });

  test('treats a malformed file as stale', async () => {
    await fs.mkdir(join(rootDir, '.sluice'));
    await fs.writeFile(file, 'garbage');
    await assertNoClusterRunning(file, () => true);
    expect(await readClusterFile(file)).toBeUndefined();
  });

  test('by default checks real pids: this process is alive', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    await writeClusterFile(
      file,
      contents({ pids: { launcher: process.pid, jobmanager: -1, taskmanagers: [], cloud: {} } }),
    );
    await expect(assertNoClusterRunning(file)).rejects.toThrow(ConflictError);
  });
});
