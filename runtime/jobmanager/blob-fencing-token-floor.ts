import type { FencingTokenFloor } from '../coordination/leader-election';
import { NotFoundError, StorageError } from '../errors';
import type { BlobStore } from '../storage/blob-store';

/** Blob key of the durable fencing token record. */
export const FENCING_TOKEN_KEY = 'ha/fencing-token.json';

/**
 * The highest fencing token in the blob store (docs/architecture.md §9): Redis holds the
 * counter, this record lets a Redis that lost its data continue above every token issued.
 * `record` reads before it writes and keeps the higher token; two leaderships never write at
 * once (one lease), so only a write delayed past the next leadership's could lower it.
 */
export class BlobFencingTokenFloor implements FencingTokenFloor {
  constructor(private readonly blobStore: BlobStore) {}

  async highest(): Promise<number> {
    let bytes: Uint8Array;
    try {
      bytes = await this.blobStore.get(FENCING_TOKEN_KEY);
    } catch (err) {
      if (err instanceof NotFoundError) return 0;
      throw err;
    }
    let token: unknown;
    try {
      token = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { fencingToken?: unknown }).fencingToken;
    } catch (err) {
      throw new StorageError(`${FENCING_TOKEN_KEY} is not JSON`, { cause: err });
    }
    if (typeof token !== 'number' || !Number.isSafeInteger(token) || token < 0)
      throw new StorageError(`${FENCING_TOKEN_KEY} holds no fencing token`);
    return token;
  }

  async record(token: number): Promise<void> {
    if ((await this.highest()) >= token) return;
    const body = { fencingToken: token, recordedAt: new Date().toISOString() };
    await this.blobStore.put(FENCING_TOKEN_KEY, `${JSON.stringify(body)}\n`, {
      contentType: 'application/json',
      metadata: { kind: 'fencing-token' },
    });
  }
}
