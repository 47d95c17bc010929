/**
 * Snapshots are backend-neutral (issue 8): a job checkpointed on one state backend, canceled
 * with its checkpoints retained, resumes from its latest checkpoint on the other backend. The
 * exactly-once-count job's committed output over both runs must hold every (key, seq) exactly
 * once with per-key counts exactly 1..n: state (counts), source positions and the sink's pending
 * commits all crossed over.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metadataKey } from '../../../runtime/checkpoint/checkpoint-storage-layout';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';

const RECORDS = 12_000;
const KEYS = 31;
const base = mkdtempSync(join(tmpdir(), 'sluice-across-backends-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function committedLines(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('part-'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
}

function expectExactlyOnce(lines: string[]): void {
  const ids = new Set(lines.map((l) => l.split(' ').slice(0, 2).join(' ')));
  expect(ids.size).toBe(lines.length);
  expect(lines.length).toBe(2 * RECORDS);
  const counts = new Map<number, number[]>();
  for (const line of lines) {
    const [key, , count, coCount] = line.split(' ').map(Number) as [number, number, number, number];
    expect(coCount).toBe(count); // the two-input operator saw the same records in its own state
    (counts.get(key) ?? counts.set(key, []).get(key)!).push(count);
  }
  for (let key = 0; key < KEYS; key++) {
    const n = 2 * (Math.floor(RECORDS / KEYS) + (key < RECORDS % KEYS ? 1 : 0));
    const sorted = counts.get(key)!.sort((a, b) => a - b);
    expect([key, sorted]).toEqual([key, Array.from({ length: n }, (_, i) => i + 1)]);
  }
}

test.each([
  ['heap', 'kv'],
  ['kv', 'heap'],
] as const)(
  'a checkpoint taken on %s restores on %s',
  async (first, second) => {
    const dir = mkdtempSync(join(base, `${first}-to-${second}-`));
    const output = join(dir, 'out');
    const blobs = new FsBlobStore({ dir: join(dir, 'store') });
    const cluster = new MiniCluster({ slotsPerTaskManager: 8, blobStore: blobs });
    await cluster.start();
    try {
      const prepare = (stateBackend: string) =>
        prepareJob(
          fixtureJob('exactly-once-count-job'),
          {
            records: String(RECORDS),
            keys: String(KEYS),
            // At least 6 s per source subtask (a 2 ms sleep every 2 records): the first run is
            // still going when it is canceled after two checkpoints, however fast the machine.
            paceEvery: '2',
            pauseMs: '2',
            interval: '100',
            output,
            stateBackend,
          },
          { parallelism: 2, checkpointRetention: 'retain-on-cancellation' },
        );
      const one = prepare(first);
      const run1 = cluster.submitJob(one.jobGraph, one.code);
      await waitFor(() => run1.checkpointStats().counts.completed >= 2, {
        what: 'two checkpoints on the first backend',
        timeoutMs: 30_000,
      });
      run1.cancel();
      await run1.whenTerminal();
      const latest = run1.checkpointStats().latest.completed!;
      expect(latest.status).toBe('COMPLETED');
      const key = metadataKey(run1.jobId, latest.id);
      expect(await blobs.exists(key)).toBe(true);
      expect(committedLines(output).length).toBeLessThan(2 * RECORDS); // canceled midway

      const two = prepare(second);
      const run2 = cluster.submitJob(two.jobGraph, two.code, { checkpointId: latest.id, metadataKey: key });
      await run2.whenTerminal();
      expect(run2.status).toBe('FINISHED');
      expect(run2.exceptionHistory().exceptionHistory.entries.map((e) => e.message)).toEqual([]);
      expect(run2.checkpointStats().latest.restored?.id).toBe(latest.id);
      expectExactlyOnce(committedLines(output));
    } finally {
      await cluster.close();
    }
  },
  120_000,
);
