import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareJob } from '../../../runtime/client/prepare-job';
import type { JobResult } from '../../../runtime/minicluster/mini-cluster';
import { loadConfig } from '../../../runtime/config';
import { fixtureJob, functionJob, runEmbedded } from '../../helpers/embedded';
import { expectedHashJoin, splitOrdinals } from '../../helpers/hash-join-output';

const base = mkdtempSync(join(tmpdir(), 'sluice-input-selection-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function embeddedConfig(dir: string) {
  return loadConfig({ overrides: { 'storage.fs.dir': join(dir, 'blobs') }, env: {} });
}

/**
 * At least 2 checkpoints completed while the operator read its build side (the highest id its
 * `during-build` lines saw). On failure the message carries the job's checkpoint counts and
 * duration: they tell a checkpoint that stalled (in progress, few completed) from a slow run.
 */
function expectCheckpointsDuringBuild(lines: string[], result: JobResult): void {
  const during = lines.filter((l) => l.startsWith('during-build ')).map((l) => Number(l.split(' ')[1]));
  const { checkpoints, durationMs } = result;
  // toEqual, not toMatchObject: its diff prints the counts and duration beside the ids seen.
  expect({
    duringBuild: Math.max(...during) >= 2 ? 'at least 2 completed' : during,
    checkpoints,
    durationMs,
  }).toEqual({
    duringBuild: 'at least 2 completed',
    checkpoints,
    durationMs,
  });
}

describe('input selection (InputSelectable) with exactly-once checkpoints', () => {
  it.each(['heap', 'kv'] as const)(
    'a hash join reading its build side first equals the inner join (%s)',
    async (stateBackend) => {
      const { lines } = await runEmbedded(
        functionJob('hash-join'),
        { customers: '500', orders: '4000', stateBackend },
        { parallelism: 2 },
      );
      const { rows, ordinalsExact } = splitOrdinals(lines);
      expect(rows).toEqual(expectedHashJoin(500, 4000));
      expect(ordinalsExact).toBe(true);
    },
  );

  it('checkpoints complete while the hash join selects only its build side (no alignment deadlock)', async () => {
    const dir = mkdtempSync(join(base, 'keyed-'));
    const { lines, result } = await runEmbedded(
      fixtureJob('input-selection-job'),
      {
        mode: 'keyed',
        customers: '10000',
        orders: '20000',
        checkpointsDir: join(dir, 'blobs'),
      },
      { parallelism: 2 },
      { config: embeddedConfig(dir) },
    );
    expect(result.failures.map((f) => f.message)).toEqual([]); // no restart, or why
    // The probe side (unpaced) had long sent its records and barriers; checkpoints still completed.
    expectCheckpointsDuringBuild(lines, result);
    const { rows, ordinalsExact } = splitOrdinals(lines.filter((l) => !l.startsWith('during-build ')));
    // Every order found its customer: none was joined before the whole build side was read.
    expect(rows).toEqual(expectedHashJoin(10000, 20000));
    expect(ordinalsExact).toBe(true);
  }, 120_000);

  it('a two-input operator chained with both its sources: checkpoints complete while it selects input 1', async () => {
    const dir = mkdtempSync(join(base, 'chained-'));
    const args = {
      mode: 'chained',
      customers: '10000',
      orders: '3000',
      checkpointsDir: join(dir, 'blobs'),
    };
    const { jobGraph } = prepareJob(fixtureJob('input-selection-job'), args, { parallelism: 2 });
    const vertex = jobGraph.vertices.find((v) => v.operators.some((o) => o.name === 'select-first'))!;
    expect(vertex.operators.map((o) => o.name)).toEqual(
      expect.arrayContaining(['build', 'probe', 'select-first']),
    );
    const { lines, result } = await runEmbedded(
      fixtureJob('input-selection-job'),
      args,
      { parallelism: 2 },
      { config: embeddedConfig(dir) },
    );
    expect(result.failures.map((f) => f.message)).toEqual([]); // no restart, or why
    expectCheckpointsDuringBuild(lines, result);
    const records = lines.filter((l) => !l.startsWith('during-build '));
    const expected = [
      ...Array.from({ length: 10000 }, (_, n) => `b ${n < 5000 ? 0 : 1} ${n}`),
      ...Array.from({ length: 3000 }, (_, n) => `p ${n < 1500 ? 0 : 1} ${n}`),
    ].sort();
    expect([...records].sort()).toEqual(expected);
    // Per subtask, every probe record came after the whole build side.
    for (const subtask of ['0', '1']) {
      const mine = records.filter((l) => l.split(' ')[1] === subtask);
      const lastBuild = mine.map((l) => l[0]).lastIndexOf('b');
      const firstProbe = mine.map((l) => l[0]).indexOf('p');
      expect(lastBuild).toBeLessThan(firstProbe);
    }
  }, 120_000);
});
