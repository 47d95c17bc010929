import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfigError, DependencyUnavailableError, NotFoundError, StorageError } from '../../runtime/errors';
import { S3BlobStore } from '../../runtime/storage/s3/s3-blob-store';
import { fauxqsS3Options, startFauxqs } from '../helpers/fauxqs';
import type { FauxqsServer } from '../helpers/fauxqs';
import { freePort } from '../helpers/free-port';
import { describeBlobStoreContract } from './blob-store.contract';

let fauxqs: FauxqsServer;
let raw: S3Client;
// One bucket per test file, one prefix per store: tests never see each other's objects.
const bucket = `sluice-test-${randomBytes(4).toString('hex')}`;
let counter = 0;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  raw = new S3Client({
    ...fauxqsS3Options(fauxqs.endpoint),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const setup = storeAt(`setup`);
  await setup.ensureBucket();
  await setup.ensureBucket(); // idempotent
  await setup.close();
});

afterAll(async () => {
  raw?.destroy();
  await fauxqs?.stop();
});

function storeAt(
  prefix: string,
  over: Partial<ConstructorParameters<typeof S3BlobStore>[0]> = {},
): S3BlobStore {
  return new S3BlobStore({ bucket, prefix, ...fauxqsS3Options(fauxqs.endpoint), ...over });
}

describeBlobStoreContract('S3BlobStore (fauxqs)', () => storeAt(`contract/t-${++counter}`));

describe('S3BlobStore specifics', () => {
  let store: S3BlobStore;
  let prefix: string;

  beforeEach(() => {
    prefix = `specific/t-${++counter}`;
    store = storeAt(prefix);
  });

  afterEach(async () => {
    await store.close();
  });

  it('describes keys as s3://bucket/prefix/key', () => {
    expect(store.describe('chk-1/_metadata')).toBe(`s3://${bucket}/${prefix}/chk-1/_metadata`);
    const atRoot = storeAt('');
    expect(atRoot.describe('a/b')).toBe(`s3://${bucket}/a/b`);
    expect(storeAt('x/y/').describe('k')).toBe(`s3://${bucket}/x/y/k`);
  });

  it('stores objects under the prefix, with content type and user metadata', async () => {
    await store.put('jobs/j1/jobgraph.json', '{}', {
      contentType: 'application/json',
      metadata: { job: 'j1', kind: 'jobgraph' },
    });
    const head = await raw.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}/jobs/j1/jobgraph.json` }),
    );
    expect(head.ContentType).toBe('application/json');
    expect(head.Metadata).toEqual({ job: 'j1', kind: 'jobgraph' });
    expect(head.ContentLength).toBe(2);
  });

  it('uploads bodies above 8 MiB as multipart and smaller ones in one request', async () => {
    await store.put('big', randomBytes(17 * 1024 * 1024));
    await store.put('small', randomBytes(1024));
    const big = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}/big` }));
    const small = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}/small` }));
    // A multipart ETag is md5-of-part-md5s followed by "-<part count>": 17 MiB / 8 MiB parts = 3.
    expect(big.ETag).toMatch(/-3"?$/);
    expect(small.ETag).not.toContain('-');
    expect(big.ContentLength).toBe(17 * 1024 * 1024);
  });

  it('never lists or deletes objects outside its prefix', async () => {
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}-sibling/x`, Body: 'x' }));
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}x`, Body: 'x' }));
    await store.put('x', 'mine');
    expect(await store.list('')).toEqual(['x']);
    await expect(storeAt(`${prefix}-sibling`).list('')).resolves.toEqual(['x']);
    expect(await store.deletePrefix('x')).toBe(0);
    await store.delete('x');
    expect(await storeAt(`${prefix}-sibling`).exists('x')).toBe(true);
  });

  it('lists past one page and deletes in batches of 1000', async () => {
    const keys = Array.from({ length: 1234 }, (_, i) => `many/k-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(keys.slice(i, i + 100).map((key) => store.put(key, '')));
    }
    expect(await store.list('many')).toEqual(keys);
    expect(await store.deletePrefix('many')).toBe(1234);
    expect(await store.list('')).toEqual([]);
  });

  it('reports a missing bucket as a non-retryable StorageError, not as a missing object', async () => {
    const noBucket = storeAt('p', { bucket: `sluice-missing-${randomBytes(4).toString('hex')}` });
    const err = await noBucket.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).not.toBeInstanceOf(NotFoundError);
    expect((err as StorageError).retryable).toBe(false);
    await noBucket.close();
  });

  it('creates a missing bucket in ensureBucket', async () => {
    const fresh = storeAt('p', { bucket: `sluice-fresh-${randomBytes(4).toString('hex')}` });
    await expect(fresh.put('k', 'v')).rejects.toBeInstanceOf(StorageError);
    await fresh.ensureBucket();
    await fresh.put('k', 'v');
    expect(Buffer.from(await fresh.get('k')).toString()).toBe('v');
    await fresh.close();
  });

  it('reports an unreachable endpoint as a retryable error naming the blob store and its endpoint', async () => {
    const port = await freePort(); // nothing listens there
    const dead = storeAt('p', { endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    const err = await dead.get('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err).toMatchObject({ code: 'SLUICE_UNAVAILABLE', retryable: true });
    expect((err as Error).message).toMatch(
      new RegExp(`^blob store unreachable at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    await dead.close();
  });

  it('rejects invalid bucket names and prefixes at construction', () => {
    expect(() => storeAt('p', { bucket: 'Bad_Bucket' })).toThrow(ConfigError);
    expect(() => storeAt('../escape')).toThrow();
  });
});
