import { S3BlobStore } from '../../runtime/storage/s3/s3-blob-store';

// The SDK warns once per process on Node 20; a local launcher has nothing to act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Where a local cloud serves S3, and with which (dummy) credentials. */
export interface LocalS3 {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** Bucket of every local cloud; each emulator starts empty, so one name never clashes. */
export const LOCAL_BUCKET = 'sluice-local';

/** Creates `bucket` on the emulator unless it exists (path-style addressing, as emulators need). */
export async function ensureLocalBucket(s3: LocalS3, bucket: string): Promise<void> {
  const store = new S3BlobStore({
    bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: s3.credentials,
  });
  try {
    await store.ensureBucket();
  } finally {
    await store.close();
  }
}

/**
 * Creates the bucket of a freshly started emulated cloud; if that (or an abort) fails, stops
 * the cloud before rethrowing, so nothing is left running.
 */
export async function ensureBucketOrStop(
  cloud: LocalS3 & { bucket: string },
  stop: () => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  try {
    signal?.throwIfAborted();
    await ensureLocalBucket(
      { endpoint: cloud.endpoint, region: cloud.region, credentials: cloud.credentials },
      cloud.bucket,
    );
  } catch (err) {
    await stop();
    throw err;
  }
}
