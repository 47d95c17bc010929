import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { savepointTargetDir } from '../../runtime/checkpoint/savepoint-store';
import type { JobMaster } from '../../runtime/jobmanager/job-master';
import type { BlobStore } from '../../runtime/storage/blob-store';
import { waitFor } from '../../runtime/util/wait';

/**
 * Stops a mini-cluster job with a savepoint under `savepoints/`, trying again while it cannot
 * be taken yet (tasks still starting): the location and checkpoint id of the savepoint.
 */
export function stopWithSavepointWhenReady(
  master: JobMaster,
  blobs: BlobStore,
  mode: 'drain' | 'no-drain' = 'no-drain',
): Promise<{ externalPath: string; checkpointId: number }> {
  return waitFor(
    () =>
      master.checkpointRequests.stopWithSavepoint(
        savepointTargetDir(blobs, 'savepoints', master.jobId),
        mode,
      ),
    { what: 'a stop with savepoint', timeoutMs: 30_000 },
  );
}

/**
 * For the test file: points the CLI's config (`SLUICE_CONFIG`) at a filesystem blob store in a
 * new temporary directory `base` (the store in `storeDir`), so CLI commands run in the test read
 * what a mini cluster on the same store wrote. Restored and removed after the file.
 */
export function cliOnFsStore(prefix: string): { base: string; storeDir: string } {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const storeDir = join(base, 'store');
  const savedConfig = process.env.SLUICE_CONFIG;
  beforeAll(() => {
    writeFileSync(
      join(base, 'sluice.yaml'),
      `storage.type: fs\nstorage.fs.dir: ${JSON.stringify(storeDir)}\n`,
    );
    process.env.SLUICE_CONFIG = join(base, 'sluice.yaml');
  });
  afterAll(() => {
    if (savedConfig === undefined) delete process.env.SLUICE_CONFIG;
    else process.env.SLUICE_CONFIG = savedConfig;
    rmSync(base, { recursive: true, force: true });
  });
  return { base, storeDir };
}
