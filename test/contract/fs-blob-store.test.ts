import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StorageError } from '../../runtime/errors';
import { FsBlobStore } from '../../runtime/storage/fs/fs-blob-store';
import { describeBlobStoreContract } from './blob-store.contract';

let base: string;
let counter = 0;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'sluice-fs-blob-'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/** Every file and directory below `dir`, relative, sorted: what is really on disk. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map((entry) => entry.split('\\').join('/')).sort();
}

const freshStore = (): FsBlobStore => new FsBlobStore({ dir: join(base, `store-${++counter}`) });

describeBlobStoreContract('FsBlobStore', freshStore);

describe('FsBlobStore specifics', () => {
  let store: FsBlobStore;

  beforeEach(() => {
    store = freshStore();
  });

  it('describes keys as file URLs under the root', () => {
    expect(store.describe('a/b.txt')).toBe(pathToFileURL(join(store.root, 'a', 'b.txt')).href);
    expect(store.describe('a/b.txt')).toMatch(/^file:\/\/\//);
  });

  it('keeps a browsable tree: one file per object, a sidecar only when there is metadata', async () => {
    await store.put('jobs/j1/jobgraph.json', '{}', {
      contentType: 'application/json',
      metadata: { job: 'j1' },
    });
    await store.put('artifacts/abc.js', 'code');
    expect(await tree(store.root)).toEqual([
      'artifacts',
      'artifacts/abc.js',
      'jobs',
      'jobs/j1',
      'jobs/j1/jobgraph.json',
      'jobs/j1/jobgraph.json~meta.json',
    ]);
    expect(await store.readSidecar('jobs/j1/jobgraph.json')).toEqual({
      contentType: 'application/json',
      metadata: { job: 'j1' },
    });
    expect(await store.readSidecar('artifacts/abc.js')).toBeUndefined();
  });

  it('drops a stale sidecar when an object is rewritten without metadata', async () => {
    await store.put('k', '1', { metadata: { kind: 'x' } });
    await store.put('k', '2');
    expect(await store.readSidecar('k')).toBeUndefined();
    expect(await tree(store.root)).toEqual(['k']);
  });

  it('leaves no temp files behind after many overwrites', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put('hot/key', `v${i}`)));
    expect(await tree(store.root)).toEqual(['hot', 'hot/key']);
    expect(Buffer.from(await store.get('hot/key')).toString()).toMatch(/^v\d$/);
  });

  it('removes directories that deletes leave empty, up to the root', async () => {
    await store.put('checkpoints/j/chk-1/a', 'x');
    await store.put('checkpoints/j/chk-1/sub/b', 'x');
    await store.put('checkpoints/j/chk-10/a', 'x');
    expect(await store.deletePrefix('checkpoints/j/chk-1')).toBe(2);
    expect(await tree(store.root)).toEqual([
      'checkpoints',
      'checkpoints/j',
      'checkpoints/j/chk-10',
      'checkpoints/j/chk-10/a',
    ]);
    await store.delete('checkpoints/j/chk-10/a');
    expect(await tree(store.root)).toEqual([]);
  });

  it('reports an object/folder clash as a non-retryable StorageError', async () => {
    await store.put('a/b', 'x');
    const asFolder = await store.put('a/b/c', 'y').catch((e: unknown) => e);
    expect(asFolder).toBeInstanceOf(StorageError);
    expect((asFolder as StorageError).retryable).toBe(false);
    const asObject = await store.put('a', 'z').catch((e: unknown) => e);
    expect(asObject).toBeInstanceOf(StorageError);
    expect(Buffer.from(await store.get('a/b')).toString()).toBe('x');
  });

  it('hides foreign files whose names are not valid keys', async () => {
    await store.put('ok/key', 'x');
    await mkdir(join(store.root, 'ok', 'has space'), { recursive: true });
    await writeFile(join(store.root, 'ok', 'has space', 'f'), 'x');
    await writeFile(join(store.root, 'ok', 'odd name'), 'x');
    expect(await store.list('')).toEqual(['ok/key']);
  });

  it('lists nothing when the root directory does not exist yet', async () => {
    const missing = new FsBlobStore({ dir: join(base, 'never-created') });
    expect(await missing.list('')).toEqual([]);
    expect(await missing.exists('a')).toBe(false);
  });
});
