import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { savepointTargetDir } from '../../runtime/checkpoint/savepoint-store';
import type { JobMaster } from '../../runtime/jobmanager/job-master';
import type { BlobStore } from '../../runtime/storage/blob-store';
import { waitFor } from '../../runtime/util/wait';

/** Records taken in by every subtask of the job so far (as last reported; never ahead of the tasks). */
export function jobRecordsIn(master: JobMaster): number {
  return master.details().vertices.reduce((n, v) => n + v.subtasks.reduce((m, s) => m + s.recordsIn, 0), 0);
}

/**
 * Stops a mini-cluster job with a savepoint under `savepoints/` once records flow (its
 * subtasks took in at least `afterRecords`, so the savepoint holds state, not a job that has
 * barely started), trying again while it cannot be taken yet (tasks still starting): the
 * location and checkpoint id of the savepoint.
 */
export async function stopWithSavepointWhenReady(
  master: JobMaster,
  blobs: BlobStore,
  mode: 'drain' | 'no-drain' = 'no-drain',
  afterRecords = 1_000,
): Promise<{ externalPath: string; checkpointId: number }> {
  await waitFor(() => jobRecordsIn(master) >= afterRecords, {
    what: `${afterRecords} records taken in before the savepoint`,
    timeoutMs: 30_000,
  });
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
