/**
 * The broadcast state pattern end to end (issue 11 item 7): a rules stream broadcast to a keyed
 * readings stream, on both state backends, compared with a reference computed in the test;
 * and `sluice savepoint inspect` showing the broadcast state of a savepoint.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { MiniCluster } from '../../../runtime/minicluster/mini-cluster';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { waitFor } from '../../../runtime/util/wait';
import { expectedRuleOutput } from '../../helpers/broadcast-rules-reference';
import { runCli } from '../../helpers/cli-runner';
import { factorOf, versionOf } from '../../fixtures/jobs/broadcast-enrich-job';
import { fixtureJob, functionJob, runEmbedded } from '../../helpers/embedded';
import { stopWithSavepointWhenReady } from '../../helpers/savepoints';

const base = mkdtempSync(join(tmpdir(), 'sluice-broadcast-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('broadcast state pattern', () => {
  it.each(['heap', 'kv'] as const)(
    'rules broadcast to every subtask decide the alerts of keyed readings (%s)',
    async (stateBackend) => {
      const readings = 4000;
      const sensors = 7;
      const { lines } = await runEmbedded(
        functionJob('broadcast-rules'),
        { readings: String(readings), sensors: String(sensors), stateBackend },
        { parallelism: 3 },
      );
      const expected = expectedRuleOutput(readings, sensors);
      // Alerts, switched-off sensors and readings before any rule all occur: a partial output cannot pass.
      expect(expected.alerts.length).toBeGreaterThan(500);
      expect(expected.unruled.length).toBeGreaterThan(10);
      expect(lines.filter((l) => l.startsWith('alert ')).sort()).toEqual(expected.alerts);
      expect(lines.filter((l) => l.startsWith('unruled ')).sort()).toEqual(expected.unruled);
    },
  );

  it('non-keyed: every subtask receives every broadcast record and enriches its items with it', async () => {
    const count = 3000;
    const versions = 9;
    const parallelism = 3;
    const { lines } = await runEmbedded(
      fixtureJob('broadcast-enrich-job'),
      { count: String(count), versions: String(versions) },
      { parallelism },
    );
    const expectedItems = Array.from({ length: count }, (_, n) => `${n}*${factorOf(versionOf(n, versions))}`);
    expect(lines.filter((l) => !l.startsWith('side ')).sort()).toEqual(expectedItems.sort());
    const sides = [];
    for (let v = 0; v < versions; v++) for (let s = 0; s < parallelism; s++) sides.push(`side ${v} ${s}`);
    expect(lines.filter((l) => l.startsWith('side ')).sort()).toEqual(sides.sort());
  });

  it('savepoint inspect shows the broadcast state as a broadcast map, counted once', async () => {
    const storeDir = join(base, 'store');
    const blobs = new FsBlobStore({ dir: storeDir });
    const cluster = new MiniCluster({ slotsPerTaskManager: 6, blobStore: blobs });
    const savedConfig = process.env.SLUICE_CONFIG;
    await cluster.start();
    try {
      const sensors = 5;
      const args = {
        readings: '20000',
        sensors: String(sensors),
        paceEvery: '5',
        pauseMs: '2',
        interval: '200',
      };
      const { jobGraph, code } = prepareJob(functionJob('broadcast-rules'), args, { parallelism: 2 });
      const master = cluster.submitJob(jobGraph, code);
      await waitFor(() => master.status === 'RUNNING', { what: 'running' });
      const { externalPath } = await stopWithSavepointWhenReady(master, blobs);
      writeFileSync(
        join(base, 'sluice.yaml'),
        `storage.type: fs\nstorage.fs.dir: ${JSON.stringify(storeDir)}\n`,
      );
      // The CLI reads the savepoint through the store the MiniCluster wrote it to.
      process.env.SLUICE_CONFIG = join(base, 'sluice.yaml');
      const inspected = await runCli(['savepoint', 'inspect', externalPath, '--json']);
      expect({ code: inspected.code, err: inspected.stderr }).toMatchObject({ code: 0 });
      const check = (
        JSON.parse(inspected.stdout) as {
          operators: { uid?: string; operatorStates: { name: string; mode: string; elements: number }[] }[];
        }
      ).operators.find((o) => o.uid === 'check-thresholds')!;
      expect(check.operatorStates).toHaveLength(1);
      const [thresholds] = check.operatorStates;
      expect(thresholds).toMatchObject({ name: 'thresholds', mode: 'broadcast' });
      // One entry per sensor with rules so far: never more than the sensors, whatever the parallelism.
      expect(thresholds!.elements).toBeGreaterThanOrEqual(1);
      expect(thresholds!.elements).toBeLessThanOrEqual(sensors);
      const text = await runCli(['savepoint', 'inspect', externalPath]);
      expect(text.stdout).toContain(`thresholds (broadcast map, ${thresholds!.elements} entries)`);
    } finally {
      if (savedConfig === undefined) delete process.env.SLUICE_CONFIG;
      else process.env.SLUICE_CONFIG = savedConfig;
      await cluster.close();
    }
  });
});
