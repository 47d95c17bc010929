import { SLUICE_VERSION } from '../../../runtime/version';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { savepointMetadataKey } from '../../../runtime/checkpoint/savepoint-layout';
import {
  disposeSavepoint,
  listSavepoints,
  readSavepoint,
  savepointKeyOf,
  savepointTargetDir,
} from '../../../runtime/checkpoint/savepoint-store';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';
import { checkCountsContinue } from '../../helpers/savepoint-output';
import { jobRecordsIn } from '../../helpers/savepoints';

const RECORDS = 12_000;
const KEYS = 37;
const base = mkdtempSync(join(tmpdir(), 'sluice-savepoints-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('savepoints (MiniCluster, real job master and in-process TaskManagers, fs store)', () => {
  const blobs = new FsBlobStore({ dir: join(base, 'store') });
  let cluster: MiniCluster;

  beforeAll(async () => {
    cluster = new MiniCluster({ slotsPerTaskManager: 6, blobStore: blobs });
    await cluster.start();
  });
  afterAll(async () => cluster?.close());

  const job = (output: string, parallelism: number, args: Record<string, string> = {}) =>
    prepareJob(
      fixtureJob('savepoint-count-job'),
      { records: String(RECORDS), keys: String(KEYS), paceEvery: '4', output, ...args },
      { parallelism },
    );

  /** Runs at `parallelism` until a savepoint with cancel; returns the savepoint's location. */
  async function runToSavepoint(output: string, parallelism: number): Promise<string> {
    const { jobGraph, code } = job(output, parallelism);
    const master = cluster.submitJob(jobGraph, code);
    await waitFor(() => master.status === 'RUNNING', { what: 'running' });
    // Records flow first, so every counter subtask holds state (a savepoint taken at once may
    // precede the first record of a subtask: it then has no keyed state to show).
    await waitFor(() => jobRecordsIn(master) >= 1_000, { what: 'records taken in', timeoutMs: 30_000 });
    // The coordinator starts once every task runs: until then a savepoint is refused (409).
    const { externalPath } = await waitFor(
      () =>
        master.checkpointRequests.triggerSavepoint(
          savepointTargetDir(blobs, 'savepoints', master.jobId),
          true,
        ),
      { what: 'a savepoint', timeoutMs: 30_000 },
    );
    await master.whenTerminal();
    expect(master.status).toBe('CANCELED');
    return externalPath;
  }

  it('savepoint and cancel, then resume at parallelism 2 → 4 → 1: counts continue exactly', async () => {
    const output = join(base, 'out-rescale');
    const first = await runToSavepoint(output, 2);
    const savepoint = await readSavepoint(blobs, first);
    expect(savepoint.metadata).toMatchObject({
      kind: 'savepoint',
      trigger: 'savepoint',
      jobName: 'savepoint-count',
    });
    expect(savepoint.dir).toMatch(/^savepoints\/savepoint-[A-Za-z0-9]{6}-[0-9a-f]{12}$/);
    // The job's own checkpoints went with the cancel; the savepoint stays.
    expect(await blobs.list(`checkpoints/${savepoint.metadata.jobId}`)).toEqual([]);
    const partial = readdirSync(output).filter((f) => f.startsWith('part-')).length;

    // 4 counters from the 2 counters' key groups, then another savepoint, then 1 counter.
    const { jobGraph, code } = job(output, 4);
    const second = cluster.submitJob(jobGraph, code, {
      checkpointId: savepoint.metadata.checkpointId,
      metadataKey: savepoint.metadataKey,
    });
    await waitFor(() => second.status === 'RUNNING', { what: 'resumed at 4' });
    expect(second.checkpointStats().latest.restored).toMatchObject({
      isSavepoint: true,
      externalPath: first,
    });
    const next = await waitFor(
      () =>
        second.checkpointRequests.triggerSavepoint(
          savepointTargetDir(blobs, 'savepoints/rescale', second.jobId),
          true,
        ),
      { what: 'a second savepoint', timeoutMs: 30_000 },
    );
    await second.whenTerminal();
    expect(next.externalPath).toContain('/savepoints/rescale/savepoint-');

    const last = job(output, 1);
    const third = cluster.submitJob(last.jobGraph, last.code, {
      checkpointId: 0,
      metadataKey: savepointMetadataKey(savepointKeyOf(blobs, next.externalPath)),
    });
    await third.whenTerminal();
    expect(third.status).toBe('FINISHED');
    expect(partial).toBeGreaterThanOrEqual(0);
    expect(checkCountsContinue(output, RECORDS, KEYS)).toBe(RECORDS);

    const listed = await listSavepoints(blobs);
    expect(listed.map((s) => s.location).sort()).toEqual([first, next.externalPath].sort());
    expect(listed.every((s) => s.jobName === 'savepoint-count' && s.trigger === 'savepoint')).toBe(true);
  }, 120_000);

  it('refuses a savepoint whose counter uid the new job lacks, naming it; --allow-non-restored-state runs', async () => {
    const output = join(base, 'out-uid');
    const location = await runToSavepoint(output, 2);
    const { metadataKey, metadata } = await readSavepoint(blobs, location);
    // Same output: the sink's uid is unchanged, so it restores (and commits) its pending files.
    const renamed = job(output, 2, { countUid: 'counter-v2' });
    const refused = cluster.submitJob(renamed.jobGraph, renamed.code, {
      checkpointId: metadata.checkpointId,
      metadataKey,
    });
    await waitFor(() => refused.status === 'FAILED', { what: 'the refused job to fail', timeoutMs: 20_000 });
    expect(JSON.stringify(refused.exceptionHistory())).toMatch(
      /operator 'count' \(count\).*--allow-non-restored-state/,
    );

    const allowed = cluster.submitJob(renamed.jobGraph, renamed.code, {
      checkpointId: metadata.checkpointId,
      metadataKey,
      allowNonRestoredState: true,
    });
    await waitFor(() => allowed.status === 'FINISHED', {
      what: 'the allowed job to finish',
      timeoutMs: 30_000,
    });
  });

  it('disposes exactly the objects of a savepoint, and a moved savepoint still reads', async () => {
    const location = await runToSavepoint(join(base, 'out-dispose'), 2);
    const dir = savepointKeyOf(blobs, location);
    // _metadata tells a person which release wrote it and which states each object holds.
    const { metadata } = await readSavepoint(blobs, location);
    expect(metadata.sluiceVersion).toBe(SLUICE_VERSION);
    const counter = metadata.operators.find((op) => op.uid === 'count')!;
    expect(counter.subtasks.map((s) => s.keyed?.states?.filter((n) => !n.startsWith('_timers/')))).toEqual(
      counter.subtasks.map(() => ['count']),
    );
    const sink = metadata.operators.find((op) => op.uid === 'file-sink')!;
    expect(sink.subtasks.every((s) => (s.operator?.states?.length ?? 0) > 0)).toBe(true);
    const keys = await blobs.list(dir);
    // Relocatable: copied elsewhere under savepoints/, it verifies and names the same state.
    for (const key of keys) await blobs.copy(key, key.replace(dir, 'savepoints/moved/copy'));
    const moved = await readSavepoint(blobs, 'savepoints/moved/copy/_metadata');
    expect(moved.metadata.checkpointId).toBe((await readSavepoint(blobs, location)).metadata.checkpointId);

    await blobs.put(`${dir}/NOTES.txt`, 'kept by the user');
    expect(await disposeSavepoint(blobs, location)).toBe(keys.length);
    expect(await blobs.list(dir)).toEqual([`${dir}/NOTES.txt`]);
    await expect(readSavepoint(blobs, location)).rejects.toThrow(/is not a savepoint/);
  });
});
