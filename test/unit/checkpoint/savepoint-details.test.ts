import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckpointMetadata } from '../../../runtime/checkpoint/checkpoint-metadata';
import {
  METADATA_FORMAT,
  METADATA_VERSION,
  encodeMetadata,
} from '../../../runtime/checkpoint/checkpoint-metadata';
import { SAVEPOINT_LOCATION_RULE } from '../../../runtime/checkpoint/savepoint-layout';
import { savepointDetails } from '../../../runtime/checkpoint/savepoint-store';
import { BadRequestError, ConflictError, NotFoundError } from '../../../runtime/errors';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';

const sha = (c: string): string => c.repeat(64);
const base = mkdtempSync(join(tmpdir(), 'sluice-savepoint-details-'));
const blobs = new FsBlobStore({ dir: base });
afterAll(() => rmSync(base, { recursive: true, force: true }));

const fields: Omit<CheckpointMetadata, 'checksum'> = {
  format: METADATA_FORMAT,
  version: METADATA_VERSION,
  jobId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  jobName: 'orders',
  checkpointId: 7,
  kind: 'savepoint',
  trigger: 'savepoint',
  triggerTimestamp: 1_000,
  completionTimestamp: 1_250,
  mode: 'exactly-once',
  graphHash: 'g1',
  stateSize: 100 + 200 + 30,
  operators: [
    {
      id: 'count',
      uid: 'count',
      name: 'count per key',
      vertexId: 'v2',
      parallelism: 2,
      maxParallelism: 128,
      subtasks: [
        {
          subtask: 0,
          keyed: { path: 'k0', bytes: 100, sha256: sha('a'), keyGroupRange: { start: 0, end: 63 } },
        },
        {
          subtask: 1,
          keyed: { path: 'k1', bytes: 200, sha256: sha('b'), keyGroupRange: { start: 64, end: 127 } },
        },
      ],
    },
    {
      id: 'src',
      name: 'ticks',
      vertexId: 'v1',
      parallelism: 1,
      maxParallelism: 128,
      subtasks: [{ subtask: 0, operator: { path: 'o0', bytes: 30, sha256: sha('c') } }],
    },
  ],
};

beforeAll(async () => {
  await blobs.put('savepoints/nightly/sp-1/_metadata', encodeMetadata(fields));
  await blobs.put('savepoints/torn/_metadata', encodeMetadata(fields).slice(0, 40));
});

test('summarises what _metadata says: operators, sizes per kind, subtasks with key groups', async () => {
  const details = await savepointDetails(blobs, 'savepoints/nightly/sp-1');
  expect(details).toMatchObject({
    location: blobs.describe('savepoints/nightly/sp-1'),
    jobId: fields.jobId,
    jobName: 'orders',
    checkpointId: 7,
    trigger: 'savepoint',
    timestamp: 1_250,
    triggerTimestamp: 1_000,
    stateSize: 330,
    mode: 'exactly-once',
  });
  expect(details.operators).toEqual([
    {
      id: 'count',
      uid: 'count',
      name: 'count per key',
      vertexId: 'v2',
      parallelism: 2,
      maxParallelism: 128,
      keyedStateSize: 300,
      operatorStateSize: 0,
      keyedStates: [],
      operatorStates: [],
      subtasks: [
        { subtask: 0, keyedBytes: 100, keyGroups: { start: 0, end: 63 } },
        { subtask: 1, keyedBytes: 200, keyGroups: { start: 64, end: 127 } },
      ],
    },
    {
      id: 'src',
      name: 'ticks',
      vertexId: 'v1',
      parallelism: 1,
      maxParallelism: 128,
      keyedStateSize: 0,
      operatorStateSize: 30,
      keyedStates: [],
      operatorStates: [],
      subtasks: [{ subtask: 0, operatorBytes: 30 }],
    },
  ]);
  // The store's URL form and a trailing /_metadata name the same savepoint.
  const byUrl = await savepointDetails(blobs, `${blobs.describe('savepoints/nightly/sp-1')}/_metadata`);
  expect(byUrl.location).toBe(details.location);
});

test.each(['checkpoints/job/chk-1', 'savepoints/../checkpoints', '/etc/passwd', 'savepoints/%2e%2e/x'])(
  'refuses %s, naming the rule',
  async (location) => {
    const err = await savepointDetails(blobs, location).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toContain(SAVEPOINT_LOCATION_RULE);
  },
);

test('no savepoint there: not found, naming the missing _metadata', async () => {
  const err = await savepointDetails(blobs, 'savepoints/nightly').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NotFoundError);
  expect((err as Error).message).toMatch(
    /^no savepoint at savepoints\/nightly: .+\/_metadata does not exist$/,
  );
});

test('a _metadata that does not verify: a conflict naming the object', async () => {
  const err = await savepointDetails(blobs, 'savepoints/torn').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConflictError);
  expect((err as Error).message).toContain('savepoints/torn/_metadata');
});
