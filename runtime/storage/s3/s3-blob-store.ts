import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import type { BucketLocationConstraint, S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { SluiceError } from '../../errors';
import { ConfigError, NotFoundError, StorageError } from '../../errors';
import { createLogger } from '../../util/logger';
import {
  assertValidBlobKey,
  assertValidByteRange,
  assertValidPutOptions,
  normalizeBlobPrefix,
} from '../blob-key';
import type { BlobStore, PutOptions } from '../blob-store';
import { isS3NoSuchBucket, isS3NotFound, isS3RangeNotSatisfiable, toS3StorageError } from './s3-errors';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Folder inside the bucket that is this store's root; '' or omitted for the bucket root. */
  prefix?: string;
  /** Custom endpoint (LocalStack, fauxqs, MinIO); omitted for AWS. */
  endpoint?: string;
  /** Defaults to the SDK's resolution (AWS_REGION, profile), else us-east-1. */
  region?: string;
  /** Path-style URLs (`http://host/bucket/key`); needed by most emulators. */
  forcePathStyle?: boolean;
  /** Static credentials; omitted to use the SDK's default provider chain (env, profile, ECS role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** SDK attempts per request, including the first (default 3). */
  maxAttempts?: number;
}

/** Bodies above this go through a multipart upload, in parts of this size. */
export const MULTIPART_THRESHOLD_BYTES = 8 * 1024 * 1024;
// S3 accepts at most 1000 keys per DeleteObjects call.
const DELETE_BATCH_SIZE = 1000;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const log = createLogger('s3-blob-store');

/**
 * Blob store on an S3 bucket (or any S3-compatible service). Keys live under `prefix` in the
 * bucket; metadata travels as S3 user metadata (`x-amz-meta-*`). The store owns its client and
 * releases it in `close()`. Failures: `NotFoundError` for a missing object on `get`,
 * `DependencyUnavailableError` naming the endpoint when S3 does not answer at all, otherwise
 * `StorageError` with `retryable` set for throttling and 5xx (after the SDK's own retries).
 */
export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  /** Normalized root prefix inside the bucket: '' or a key without trailing '/'. */
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly region: string | undefined;
  /** What an unreachable-store error names: the custom endpoint, else the AWS region's S3. */
  private readonly endpoint: string;

  constructor(options: S3BlobStoreOptions) {
    if (!BUCKET_NAME.test(options.bucket)) {
      throw new ConfigError(`invalid S3 bucket name ${JSON.stringify(options.bucket)}`);
    }
    this.bucket = options.bucket;
    this.prefix = normalizeBlobPrefix(options.prefix ?? '');
    this.region = options.region;
    this.endpoint = options.endpoint ?? `S3 in ${options.region ?? process.env.AWS_REGION ?? 'us-east-1'}`;
    const config: S3ClientConfig = {
      endpoint: options.endpoint,
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      maxAttempts: options.maxAttempts,
      // Checksums only where S3 demands them: emulators otherwise store aws-chunked framing
      // in streamed bodies, or reject the trailing checksum headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    this.client = new S3Client(config);
  }

  async put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<void> {
    assertValidBlobKey(key);
    assertValidPutOptions(options);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const params = {
      Bucket: this.bucket,
      Key: this.objectKey(key),
      Body: bytes,
      ContentType: options?.contentType,
      Metadata: options?.metadata,
    };
    try {
      if (bytes.byteLength > MULTIPART_THRESHOLD_BYTES) {
        const upload = new Upload({
          client: this.client,
          params,
          partSize: MULTIPART_THRESHOLD_BYTES,
          queueSize: 4,
        });
        await upload.done();
      } else {
        await this.client.send(new PutObjectCommand({ ...params, ContentLength: bytes.byteLength }));
      }
    } catch (err) {
      throw this.failure(err, 'put', this.describe(key));
    }
  }

  async get(key: string): Promise<Uint8Array> {
    assertValidBlobKey(key);
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      if (response.Body === undefined)
        throw new StorageError(`S3 get ${this.describe(key)} returned no body`);
      return await response.Body.transformToByteArray();
    } catch (err) {
      if (isS3NotFound(err)) throw new NotFoundError(`blob not found: ${this.describe(key)}`);
      throw this.failure(err, 'get', this.describe(key));
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    assertValidBlobKey(key);
    assertValidByteRange(offset, length);
    if (length === 0) return new Uint8Array(0);
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Range: `bytes=${offset}-${offset + length - 1}`,
        }),
      );
      if (response.Body === undefined)
        throw new StorageError(`S3 getRange ${this.describe(key)} returned no body`);
      return await response.Body.transformToByteArray();
    } catch (err) {
      if (isS3NotFound(err)) throw new NotFoundError(`blob not found: ${this.describe(key)}`);
      // A range that starts at or past the end is 416 on S3, not an empty body.
      if (isS3RangeNotSatisfiable(err)) return new Uint8Array(0);
      throw this.failure(err, 'getRange', this.describe(key));
    }
  }

  async copy(from: string, to: string, options?: PutOptions): Promise<void> {
    assertValidBlobKey(from);
    assertValidBlobKey(to);
    assertValidPutOptions(options);
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(to),
          CopySource: `${this.bucket}/${encodeURIComponent(this.objectKey(from)).replaceAll('%2F', '/')}`,
          MetadataDirective: 'REPLACE',
          ContentType: options?.contentType,
          Metadata: options?.metadata,
        }),
      );
    } catch (err) {
      if (isS3NotFound(err)) throw new NotFoundError(`blob not found: ${this.describe(from)}`);
      throw this.failure(err, 'copy', `${this.describe(from)} to ${this.describe(to)}`);
    }
  }

  async size(key: string): Promise<number> {
    assertValidBlobKey(key);
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isS3NotFound(err)) throw new NotFoundError(`blob not found: ${this.describe(key)}`);
      throw this.failure(err, 'size', this.describe(key));
    }
  }

  async exists(key: string): Promise<boolean> {
    assertValidBlobKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (err) {
      if (isS3NotFound(err)) return false;
      throw this.failure(err, 'exists', this.describe(key));
    }
  }

  async list(prefix: string): Promise<string[]> {
    const normalized = normalizeBlobPrefix(prefix);
    const folder = this.objectKey(normalized);
    // The trailing '/' gives folder semantics: 'a/b' must not match 'a/bc'.
    const s3Prefix = folder === '' ? '' : `${folder}/`;
    const strip = this.prefix === '' ? 0 : this.prefix.length + 1;
    const keys: string[] = [];
    try {
      const pages = paginateListObjectsV2({ client: this.client }, { Bucket: this.bucket, Prefix: s3Prefix });
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) keys.push(object.Key.slice(strip));
        }
      }
    } catch (err) {
      throw this.failure(err, 'list', this.describePrefix(normalized));
    }
    // S3 already returns UTF-8 byte order; sorting again keeps the contract independent of it.
    return keys.sort();
  }

  async delete(key: string): Promise<void> {
    assertValidBlobKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (err) {
      if (isS3NotFound(err)) return;
      throw this.failure(err, 'delete', this.describe(key));
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    const normalized = normalizeBlobPrefix(prefix);
    if (normalized === '') throw new StorageError('deletePrefix needs a non-empty prefix');
    const keys = await this.list(normalized);
    let deleted = 0;
    for (let start = 0; start < keys.length; start += DELETE_BATCH_SIZE) {
      deleted += await this.deleteBatch(keys.slice(start, start + DELETE_BATCH_SIZE), normalized);
    }
    return deleted;
  }

  private failure(err: unknown, operation: string, location: string): SluiceError {
    return toS3StorageError(err, operation, location, this.endpoint);
  }

  describe(key: string): string {
    assertValidBlobKey(key);
    return `s3://${this.bucket}/${this.objectKey(key)}`;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /**
   * Creates the bucket when it does not exist; idempotent. For local clusters and tests: a
   * production bucket comes from the CDK stateful stack, with encryption and lifecycle rules.
   */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (!isS3NoSuchBucket(err)) throw this.failure(err, 'head bucket', `s3://${this.bucket}`);
    }
    try {
      const region = this.region ?? 'us-east-1';
      // us-east-1 is the one region that rejects an explicit location constraint.
      const configuration =
        region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint };
      await this.client.send(
        new CreateBucketCommand({ Bucket: this.bucket, CreateBucketConfiguration: configuration }),
      );
      log.debug({ bucket: this.bucket }, 'created S3 bucket');
    } catch (err) {
      const name = err instanceof Error ? err.name : undefined;
      // Someone else (another process of the same cluster) won the race: the bucket exists.
      if (name === 'BucketAlreadyOwnedByYou') return;
      throw this.failure(err, 'create bucket', `s3://${this.bucket}`);
    }
  }

  /** Deletes up to 1000 keys in one call; returns how many S3 confirmed. */
  private async deleteBatch(keys: string[], prefix: string): Promise<number> {
    try {
      const response = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.map((key) => ({ Key: this.objectKey(key) })), Quiet: true },
        }),
      );
      const errors = response.Errors ?? [];
      if (errors.length > 0) {
        const first = errors[0];
        throw new StorageError(
          `S3 deletePrefix ${this.describePrefix(prefix)}: ${errors.length} of ${keys.length} deletes failed ` +
            `(first: ${first?.Key ?? '?'}: ${first?.Code ?? '?'} ${first?.Message ?? ''})`,
          { retryable: errors.some((e) => e.Code === 'SlowDown' || e.Code === 'InternalError') },
        );
      }
      return keys.length;
    } catch (err) {
      throw this.failure(err, 'deletePrefix', this.describePrefix(prefix));
    }
  }

  private objectKey(key: string): string {
    if (this.prefix === '') return key;
    return key === '' ? this.prefix : `${this.prefix}/${key}`;
  }

  private describePrefix(prefix: string): string {
    return `s3://${this.bucket}/${this.objectKey(prefix)}${prefix === '' && this.prefix === '' ? '' : '/'}`;
  }
}
