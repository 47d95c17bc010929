import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ConfigError } from '../../../runtime/errors';
import { createBlobStore } from '../../../runtime/storage/create-blob-store';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { S3BlobStore } from '../../../runtime/storage/s3/s3-blob-store';

describe('createBlobStore', () => {
  it('builds a filesystem store rooted at dir', async () => {
    const dir = join(tmpdir(), 'sluice-factory-never-written');
    const store = createBlobStore({ type: 'fs', dir });
    expect(store).toBeInstanceOf(FsBlobStore);
    expect(store.describe('a/b')).toBe(`file://${dir}/a/b`);
    await store.close();
  });

  it('builds an S3 store for bucket and prefix without touching the network', async () => {
    const store = createBlobStore({
      type: 's3',
      bucket: 'my-bucket',
      prefix: 'sluice/prod/',
      region: 'eu-west-1',
    });
    expect(store).toBeInstanceOf(S3BlobStore);
    expect(store.describe('jobs/j/jobgraph.json')).toBe('s3://my-bucket/sluice/prod/jobs/j/jobgraph.json');
    await store.close();
  });

  it('rejects an invalid bucket name as a config error', () => {
    expect(() => createBlobStore({ type: 's3', bucket: 'x' })).toThrow(ConfigError);
  });

  it('rejects an unknown type', () => {
    expect(() => createBlobStore({ type: 'gcs' } as never)).toThrow(ConfigError);
  });
});
