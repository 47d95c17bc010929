import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from '../errors';
import type { BlobStore } from '../storage/blob-store';

/**
 * Job bundles fetched from the blob store (`artifacts/<sha256>.js`) into a local directory,
 * once per TaskManager, checked against their hash before use.
 */
export class ArtifactCache {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly blobStore: BlobStore,
    private readonly dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Local path of the bundle, downloading it on first use. */
  path(sha256: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(sha256))
      return Promise.reject(new StorageError(`invalid artifact id ${sha256}`));
    const target = join(this.dir, `${sha256}.js`);
    if (existsSync(target)) return Promise.resolve(target);
    let pending = this.inFlight.get(sha256);
    if (!pending) {
      pending = this.download(sha256, target).finally(() => this.inFlight.delete(sha256));
      this.inFlight.set(sha256, pending);
    }
    return pending;
  }

  private async download(sha256: string, target: string): Promise<string> {
    const body = await this.blobStore.get(`artifacts/${sha256}.js`);
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== sha256)
      throw new StorageError(`artifact ${sha256} is corrupted in the blob store (its hash is ${actual})`);
    const temp = `${target}.${process.pid}.tmp`;
    writeFileSync(temp, body);
    renameSync(temp, target);
    return target;
  }
}
