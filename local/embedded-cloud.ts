import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The `embedded` local cloud (docs/architecture.md §12): nothing to start. The job manager coordinates in
 * memory (high-availability.type none) and blobs — artifacts, checkpoints, savepoints — are
 * files under `<rootDir>/.sluice/storage` (storage.type fs), kept across runs so savepoints
 * survive a restart of the local cluster.
 */
export interface EmbeddedCloud {
  /** Absolute directory of the fs blob store. */
  storageDir: string;
  /** Nothing runs, and the blobs are kept on purpose: resolves at once. */
  stop(): Promise<void>;
}

export interface EmbeddedCloudOptions {
  /** Where `.sluice/` lives; default the working directory. */
  rootDir?: string;
  /** Overrides `<rootDir>/.sluice/storage`. */
  storageDir?: string;
}

/** Creates the storage directory (mode 0700: it holds job code and state) and returns the cloud. */
export async function startEmbeddedCloud(options: EmbeddedCloudOptions = {}): Promise<EmbeddedCloud> {
  const storageDir = resolve(
    options.storageDir ?? join(options.rootDir ?? process.cwd(), '.sluice', 'storage'),
  );
  await fs.mkdir(storageDir, { recursive: true, mode: 0o700 });
  return { storageDir, stop: async () => undefined };
}
