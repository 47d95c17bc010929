/**
 * The savepoint state tools without a cluster (issue 9): `sluice savepoint inspect` and `--dump`
 * on savepoints written by the heap and by the kv backend (one snapshot format), read from a
 * local directory and through the configured fs store; `savepoint check` against them; and
 * `sluice run --from-savepoint` embedded (no job manager), which continues the counts exactly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { savepointKeyOf, savepointTargetDir } from '../../../runtime/checkpoint/savepoint-store';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { runCli } from '../../helpers/cli-runner';
import { fixtureJob } from '../../helpers/embedded';
import { checkCountsContinue } from '../../helpers/savepoint-output';
import { cliOnFsStore, stopWithSavepointWhenReady } from '../../helpers/savepoints';

const RECORDS = 8_000;
const KEYS = 23;
const JOB = fixtureJob('savepoint-count-job');
// The CLI's own store (inspect by location, embedded run) is the one the MiniCluster writes to.
const { base, storeDir } = cliOnFsStore('sluice-sp-tools-');

const args = (output: string, backend: string): Record<string, string> => ({
  records: String(RECORDS),
  keys: String(KEYS),
  paceEvery: '1',
  output,
  stateBackend: backend,
});
const cliArgs = (a: Record<string, string>): string[] =>
  Object.entries(a).flatMap(([k, v]) => ['--arg', `${k}=${v}`]);

function maxCounts(dir: string): Map<number, number> {
  const max = new Map<number, number>();
  for (const f of readdirSync(dir).filter((n) => n.startsWith('part-')))
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean)) {
      const [key, , count] = line.split(' ').map(Number) as [number, number, number];
      max.set(key, Math.max(max.get(key) ?? 0, count));
    }
  return max;
}

describe('savepoint inspect, check and embedded resume (MiniCluster, fs store)', () => {
  const blobs = new FsBlobStore({ dir: storeDir });
  let cluster: MiniCluster;

  beforeAll(async () => {
    cluster = new MiniCluster({ slotsPerTaskManager: 6, blobStore: blobs });
    await cluster.start();
  });
  afterAll(async () => cluster?.close());

  it.each(['heap', 'kv'])(
    '%s: inspect and dump show the state the job held; check passes; run --from-savepoint continues exactly',
    async (backend) => {
      const output = join(base, `out-${backend}`);
      const { jobGraph, code } = prepareJob(JOB, args(output, backend), { parallelism: 2 });
      const master = cluster.submitJob(jobGraph, code);
      await waitFor(() => master.status === 'RUNNING', { what: 'running' });
      const { externalPath } = await stopWithSavepointWhenReady(master, blobs);
      expect(master.status).toBe('FINISHED');
      const localDir = join(storeDir, savepointKeyOf(blobs, externalPath));

      for (const where of [localDir, externalPath]) {
        const inspected = await runCli(['savepoint', 'inspect', where, '--json']);
        expect({ where, code: inspected.code, err: inspected.stderr }).toMatchObject({ code: 0 });
        const counter = (
          JSON.parse(inspected.stdout) as {
            operators: { uid?: string; keyedStates: object[]; subtasks: { backend?: string }[] }[];
          }
        ).operators.find((o) => o.uid === 'count')!;
        expect(counter.keyedStates).toEqual([{ name: 'count', kind: 'value', keys: KEYS, entries: KEYS }]);
        expect(counter.subtasks.map((s) => s.backend)).toEqual([backend, backend]);
      }
      const dumped = await runCli(['savepoint', 'inspect', localDir, '--dump', 'count']);
      expect(dumped.code).toBe(0);
      const held = dumped.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { key: number; value: number });
      expect(new Map(held.map((e) => [e.key, e.value]))).toEqual(maxCounts(output));
      const noState = await runCli(['savepoint', 'inspect', localDir, '--dump', 'count', '--state', 'nope']);
      expect(noState.code).toBe(1);
      expect(noState.stderr).toContain("has no keyed state named 'nope'");
      const noOp = await runCli(['savepoint', 'inspect', localDir, '--dump', 'missing-uid']);
      expect(noOp.stderr).toMatch(/no operator with uid 'missing-uid' \(operators: .*count/);

      // The other backend restores it: check, then an embedded run (no job manager) from it.
      const other = backend === 'heap' ? 'kv' : 'heap';
      const check = await runCli([
        'savepoint',
        'check',
        localDir,
        JOB,
        '-p',
        '3',
        ...cliArgs(args(output, other)),
      ]);
      expect({ code: check.code, out: check.stdout }).toMatchObject({ code: 0 });
      expect(check.stdout).toMatch(
        /ok +operator 'count' \(count\): state \[count\] restores at parallelism 3 \(was 2\)/,
      );
      const run = await runCli([
        'run',
        JOB,
        '--target',
        'embedded',
        '--skip-type-check',
        '-p',
        '3',
        '--from-savepoint',
        externalPath,
        ...cliArgs(args(output, other)),
      ]);
      expect({ code: run.code, err: run.stderr }).toMatchObject({ code: 0 });
      expect(checkCountsContinue(output, RECORDS, KEYS)).toBe(RECORDS);
    },
    120_000,
  );

  it('a max parallelism change is reported by check (exit 1); usage errors are exit 2', async () => {
    const output = join(base, 'out-maxp');
    const { jobGraph, code } = prepareJob(JOB, args(output, 'heap'), { parallelism: 2 });
    const master = cluster.submitJob(jobGraph, code);
    await waitFor(() => master.status === 'RUNNING', { what: 'running' });
    const { externalPath } = await waitFor(
      () =>
        master.checkpointRequests.triggerSavepoint(
          savepointTargetDir(blobs, 'savepoints', master.jobId),
          true,
        ),
      { what: 'a savepoint', timeoutMs: 30_000 },
    );
    const check = await runCli([
      'savepoint',
      'check',
      externalPath,
      JOB,
      '--max-parallelism',
      '64',
      ...cliArgs(args(output, 'heap')),
    ]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/PROBLEM operator 'count' \(count\): .*max parallelism 64.*128 key groups/);
    expect((await runCli(['savepoint', 'check', externalPath, JOB, '-p', 'zero'])).code).toBe(2);
    expect((await runCli(['savepoint', 'check', join(base, 'no-such-dir'), JOB])).code).toBe(2);
  });
});
