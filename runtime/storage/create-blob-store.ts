import { ConfigError } from '../errors';
import type { BlobStore } from './blob-store';
import { FsBlobStore } from './fs/fs-blob-store';
import type { FsBlobStoreOptions } from './fs/fs-blob-store';
import { S3BlobStore } from './s3/s3-blob-store';
import type { S3BlobStoreOptions } from './s3/s3-blob-store';

/** Which blob store to build; the services factory derives this from the resolved config. */
export type BlobStoreOptions = ({ type: 'fs' } & FsBlobStoreOptions) | ({ type: 's3' } & S3BlobStoreOptions);

/**
 * Builds the blob store adapter named by `options.type`. Does no I/O: an S3 bucket is not
 * checked or created here (see `S3BlobStore.ensureBucket`), an fs root is created on first write.
 */
export function createBlobStore(options: BlobStoreOptions): BlobStore {
  switch (options.type) {
    case 'fs':
      return new FsBlobStore({ dir: options.dir });
    case 's3': {
      const { type: _type, ...s3Options } = options;
      return new S3BlobStore(s3Options);
    }
    default: {
      const unknown: never = options;
      throw new ConfigError(`unknown blob store type: ${JSON.stringify(unknown)}`);
    }
  }
}
