import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMetadata, encodeMetadata } from '../../../runtime/checkpoint/checkpoint-metadata';
import type { CheckpointMetadata } from '../../../runtime/checkpoint/checkpoint-metadata';
import {
  checkpointIdOfMetadataKey,
  metadataKey,
  operatorDirName,
  stateObjectKey,
} from '../../../runtime/checkpoint/checkpoint-storage-layout';
import { CompletedCheckpointStore } from '../../../runtime/checkpoint/completed-checkpoint-store';
import { CheckpointCorruptError } from '../../../runtime/errors';
import { assertValidBlobKey } from '../../../runtime/storage/blob-key';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { createLogger } from '../../../runtime/util/logger';

const base = mkdtempSync(join(tmpdir(), 'sluice-ckpt-storage-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const freshStore = (): FsBlobStore => new FsBlobStore({ dir: join(base, `store-${++n}`) });

function metadata(jobId: string, checkpointId: number): Omit<CheckpointMetadata, 'checksum'> {
  return {
    format: 'sluice-checkpoint',
    version: 1,
    jobId,
    jobName: 'counting',
    checkpointId,
    kind: 'checkpoint',
    trigger: 'periodic',
    triggerTimestamp: 1000,
    completionTimestamp: 1200,
    mode: 'exactly-once',
    graphHash: 'g',
    operators: [
      {
        id: 'count',
        name: 'count',
        vertexId: 'v1',
        parallelism: 2,
        maxParallelism: 128,
        subtasks: [
          {
            subtask: 0,
            keyed: {
              path: `${operatorDirName('count')}/0-keyed.bin`,
              bytes: 3,
              sha256: 'a'.repeat(64),
              keyGroupRange: { start: 0, end: 63 },
            },
          },
        ],
      },
    ],
    stateSize: 3,
  };
}

describe('checkpoint storage layout', () => {
  it('gives every operator id, whatever its characters, its own valid directory', () => {
    const ids = ['count', 'Count', 'a/b', '../x', 'ümlaut ✓', '.', 'x'.repeat(500), 'a b?c#d*'];
    const dirs = ids.map(operatorDirName);
    expect(new Set(dirs).size).toBe(ids.length);
    // Case-insensitive disks: names differing only by case stay apart.
    expect(new Set(dirs.map((d) => d.toLowerCase())).size).toBe(ids.length);
    for (const id of ids) assertValidBlobKey(stateObjectKey('job1', 7, id, 3, 'keyed'));
    expect(stateObjectKey('job1', 7, 'count', 3, 'operator')).toMatch(
      /^checkpoints\/job1\/chk-7\/op-count-[0-9a-f]{16}\/3-operator\.bin$/,
    );
  });

  it('recognises metadata keys of its own job only', () => {
    expect(checkpointIdOfMetadataKey('job1', metadataKey('job1', 12))).toBe(12);
    expect(checkpointIdOfMetadataKey('job1', metadataKey('job10', 12))).toBeUndefined();
    expect(checkpointIdOfMetadataKey('job1', 'checkpoints/job1/chk-12/x/_metadata')).toBeUndefined();
  });
});

describe('_metadata', () => {
  it('round-trips readable JSON with a checksum', () => {
    const text = encodeMetadata(metadata('job1', 3));
    const parsed = JSON.parse(text) as CheckpointMetadata;
    expect(parsed.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.operators[0]!.subtasks[0]!.keyed!.path).not.toContain('checkpoints/');
    expect(decodeMetadata('k', Buffer.from(text))).toEqual(parsed);
  });

  it.each([
    ['an edited field', (t: string) => t.replace('"stateSize": 3', '"stateSize": 4'), /checksum/],
    ['a torn file', (t: string) => t.slice(0, t.length / 2), /not valid JSON/],
    [
      'another format',
      (t: string) => t.replace('sluice-checkpoint', 'other'),
      /not a sluice-checkpoint v1 file/,
    ],
  ])('refuses %s, naming the object', (_what, corrupt, reason) => {
    const text = corrupt(encodeMetadata(metadata('job1', 3)));
    let error: unknown;
    try {
      decodeMetadata('checkpoints/job1/chk-3/_metadata', Buffer.from(text));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CheckpointCorruptError);
    expect((error as CheckpointCorruptError).code).toBe('SLUICE_CHECKPOINT_CORRUPT');
    expect((error as Error).message).toContain('checkpoints/job1/chk-3/_metadata');
    expect((error as Error).message).toMatch(reason);
  });
});

describe('CompletedCheckpointStore (filesystem blob store)', () => {
  const logger = createLogger('test');

  it('keeps state.checkpoints.num-retained checkpoints and deletes the directories of older ones', async () => {
    const blobs = freshStore();
    const store = new CompletedCheckpointStore(blobs, 'job1', 2, logger);
    for (const id of [1, 2, 3, 4]) {
      await blobs.put(stateObjectKey('job1', id, 'count', 0, 'keyed'), 'abc');
      const { pruned } = await store.add(metadata('job1', id));
      expect(pruned).toEqual(id > 2 ? [id - 2] : []);
    }
    // An aborted checkpoint's leftovers below the retained ones go too; one in progress stays.
    await blobs.put(stateObjectKey('job1', 2, 'count', 1, 'keyed'), 'late');
    await blobs.put(stateObjectKey('job1', 5, 'count', 0, 'keyed'), 'in progress');
    expect(await store.prune(new Set([5]))).toEqual([2]);
    expect(await store.completedIds()).toEqual([3, 4]);
    const dirs = new Set((await blobs.list('checkpoints/job1')).map((k) => k.split('/')[2]));
    expect([...dirs].sort()).toEqual(['chk-3', 'chk-4', 'chk-5']);
    expect((await store.latest())!.metadata.checkpointId).toBe(4);
  });

  it('falls back past a corrupt _metadata, reporting the object', async () => {
    const blobs = freshStore();
    const store = new CompletedCheckpointStore(blobs, 'job1', 3, logger);
    for (const id of [1, 2, 3]) await store.add(metadata('job1', id));
    const key = metadataKey('job1', 3);
    const text = Buffer.from(await blobs.get(key)).toString('utf8');
    await blobs.put(key, text.replace('"jobName": "counting"', '"jobName": "tampered"'));
    const corrupt: string[] = [];
    const unusable = new Set<number>();
    const latest = await store.latest(unusable, (err) => corrupt.push(err.message));
    expect(latest!.metadata.checkpointId).toBe(2);
    expect(corrupt).toEqual([expect.stringContaining(key)]);
    expect([...unusable]).toEqual([3]);
    // Marked unusable (a state object of 2 failed to verify at restore): 1 is next.
    unusable.add(2);
    expect((await store.latest(unusable))!.metadata.checkpointId).toBe(1);
  });

  it('refuses a _metadata that describes another checkpoint', async () => {
    const blobs = freshStore();
    const store = new CompletedCheckpointStore(blobs, 'job1', 3, logger);
    await blobs.put(metadataKey('job1', 9), encodeMetadata(metadata('job1', 8)));
    await expect(store.read(9)).rejects.toThrow(/describes checkpoint 8/);
  });

  it('deletes every checkpoint of the job, and only of that job', async () => {
    const blobs = freshStore();
    const store = new CompletedCheckpointStore(blobs, 'job1', 3, logger);
    await store.add(metadata('job1', 1));
    await new CompletedCheckpointStore(blobs, 'job10', 3, logger).add(metadata('job10', 1));
    expect(await store.discardAll()).toBe(1);
    expect(await blobs.list('checkpoints')).toEqual([metadataKey('job10', 1)]);
  });
});
