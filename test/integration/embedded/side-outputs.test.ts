import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { defaultConfig } from '../../../runtime/config';
import { stateSettingsFrom } from '../../../runtime/state/state-backend-factory';
import {
  SIDE_OUTPUT_ARGS as ARGS,
  expectedSideOutputLines as expectedLines,
} from '../../fixtures/jobs/side-output-reference';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

describe('side outputs', () => {
  let localDir: string;
  beforeEach(() => (localDir = mkdtempSync(join(tmpdir(), 'sluice-side-'))));
  afterEach(() => rmSync(localDir, { recursive: true, force: true }));

  it('the job reads side outputs both inside chains and across network edges', () => {
    const { jobGraph } = prepareJob(fixtureJob('side-output-job'), ARGS);
    const chained = jobGraph.vertices.flatMap((v) => v.chainedEdges).filter((e) => e.outputTag);
    const network = jobGraph.edges.filter((e) => e.outputTag);
    expect(new Set(chained.map((e) => e.outputTag))).toEqual(new Set(['high', 'big-windows', 'late']));
    expect(new Set(network.map((e) => e.outputTag))).toEqual(new Set(['high', 'even']));
  });

  it.each(['heap', 'kv'] as const)(
    'process, keyed process and window functions, and late window data, equal the reference (%s)',
    async (stateBackend) => {
      const { lines } = await runEmbedded(
        fixtureJob('side-output-job'),
        { ...ARGS, stateBackend },
        {},
        { state: { ...stateSettingsFrom(defaultConfig()), localDir } },
      );
      const expected = expectedLines();
      // Every path carries records: the comparison below cannot pass on empty outputs.
      for (const prefix of ['high-chained', 'high-network', 'even', 'late', 'window', 'big'])
        expect([prefix, expected.filter((l) => l.startsWith(`${prefix} `)).length > 5]).toEqual([
          prefix,
          true,
        ]);
      expect([...lines].sort()).toEqual(expected);
    },
  );
});
