/**
 * `sluice savepoint check` reports state names missing or new per operator uid (issue 9): the
 * dry run restores each matched operator and opens it without records, then compares the states
 * it registered with the savepoint's. A renamed and an added state warn (exit 0; a state
 * registered lazily, on the first record, shows as missing with that explanation); a state
 * whose kind changed is incompatible (exit 1). Real CLI processes against a savepoint a
 * MiniCluster wrote to the fs store.
 */
import { prepareJob } from '../../../runtime/client/prepare-job';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { runCli } from '../../helpers/cli-runner';
import { fixtureJob } from '../../helpers/embedded';
import { cliOnFsStore, stopWithSavepointWhenReady } from '../../helpers/savepoints';

const JOB = fixtureJob('state-names-job');
const { storeDir } = cliOnFsStore('sluice-sp-states-');

describe('savepoint check: state names missing, new, and of another kind', () => {
  const blobs = new FsBlobStore({ dir: storeDir });
  let cluster: MiniCluster;
  let savepoint: string;

  beforeAll(async () => {
    cluster = new MiniCluster({ slotsPerTaskManager: 4, blobStore: blobs });
    await cluster.start();
    const { jobGraph, code } = prepareJob(JOB, { version: 'v1' }, { parallelism: 2 });
    const master = cluster.submitJob(jobGraph, code);
    await waitFor(() => master.status === 'RUNNING', { what: 'running' });
    ({ externalPath: savepoint } = await stopWithSavepointWhenReady(master, blobs));
  }, 120_000);
  afterAll(async () => cluster?.close());

  const check = (version: string, ...extra: string[]) =>
    runCli(['savepoint', 'check', savepoint, JOB, '--arg', `version=${version}`, ...extra]);
  const lines = (out: string, mark: string) => out.split('\n').filter((l) => l.startsWith(mark));

  it('the same version: compatible; only the lazily registered state shows as missing', async () => {
    const same = await check('v1');
    expect({ code: same.code, err: same.stderr }).toMatchObject({ code: 0 });
    expect(lines(same.stdout, 'WARNING')).toEqual([
      "WARNING operator 'totals' (KeyedProcess): state missing [seen (value)]: in the savepoint, but the job did not " +
        'register it when the operator was opened (open()); it is not read, unless the operator registers it ' +
        'lazily on its first record (then it restores)',
    ]);
    expect(same.stdout).toMatch(/\nCOMPATIBLE$/m);
  });

  it('a renamed and an added state are reported per uid, as warnings (exit 0), in text and JSON', async () => {
    const renamed = await check('v2');
    expect({ code: renamed.code, err: renamed.stderr }).toMatchObject({ code: 0 });
    const warnings = lines(renamed.stdout, 'WARNING');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^WARNING operator 'totals' \(KeyedProcess\): state missing \[total \(value\), seen \(value\)\]: /,
    );
    expect(warnings[1]).toBe(
      "WARNING operator 'totals' (KeyedProcess): state new [sum (value), recent (list)]: registered by the job, " +
        'not in the savepoint: it starts empty',
    );
    expect(lines(renamed.stdout, 'PROBLEM')).toEqual([]);

    const json = await check('v2', '--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      compatible: boolean;
      stateChanges: unknown[];
      added: string[];
    };
    expect(report.compatible).toBe(true);
    // The same operators as the savepoint's job (stateless ones included): none is new.
    expect(report.added).toEqual([]);
    expect(report.stateChanges).toEqual([
      {
        uid: 'totals',
        missing: ['total (value)', 'seen (value)'],
        new: ['sum (value)', 'recent (list)'],
        kindChanged: [],
      },
    ]);
  });

  it('a state registered with another kind is incompatible (exit 1), naming the state and both kinds', async () => {
    const changed = await check('v3');
    expect({ code: changed.code, out: changed.stdout }).toMatchObject({ code: 1 });
    expect(lines(changed.stdout, 'PROBLEM')).toEqual([
      "PROBLEM operator 'totals' (KeyedProcess): state 'total' is value state in the savepoint, but the job registers " +
        'it as list state: it cannot restore (keep its kind, or give the new state another name)',
      "PROBLEM operator 'totals' (KeyedProcess): the dry run's open() stopped there; states it registers after that were not compared",
    ]);
    expect(changed.stdout).toMatch(/\nINCOMPATIBLE$/m);
  });
});
