import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareJob } from '../../../runtime/client/prepare-job';
import { defaultConfig } from '../../../runtime/config';
import { stateSettingsFrom } from '../../../runtime/state/state-backend-factory';
import { readings } from '../../fixtures/jobs/window-job';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

const COUNT = 2000;
const SIZE = 500;
const DELAY = 50;
const BIG = 8;
const LATE_BY = 900;
const ARGS = {
  count: String(COUNT),
  size: String(SIZE),
  delay: String(DELAY),
  big: String(BIG),
  lateBy: String(LATE_BY),
};

/**
 * Every line the job must print, from the raw readings in source order: a watermark after each
 * reading (max - delay - 1); a reading whose tumbling window ended at or before the watermark is
 * late; every other window fires once with all its readings.
 */
function expectedLines(): string[] {
  const lines: string[] = [];
  const windows = new Map<string, number>();
  let watermark = Number.NEGATIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const r of readings(COUNT, 40, LATE_BY)) {
    if (r.value >= 90) lines.push(`high-chained ${r.sensor} ${r.ts}`, `high-network ${r.sensor} ${r.ts}`);
    if (r.value % 2 === 0) lines.push(`even ${r.sensor} ${r.ts}`);
    const start = r.ts - (r.ts % SIZE);
    if (start + SIZE - 1 <= watermark) lines.push(`late ${r.sensor} ${r.ts}`);
    else
      windows.set(
        `${r.sensor} ${start} ${start + SIZE}`,
        (windows.get(`${r.sensor} ${start} ${start + SIZE}`) ?? 0) + 1,
      );
    max = Math.max(max, r.ts);
    watermark = Math.max(watermark, max - DELAY - 1);
  }
  for (const [id, n] of windows) {
    lines.push(`window ${id} ${n}`);
    if (n >= BIG) lines.push(`big ${id}`);
  }
  return lines.sort();
}

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
    60_000,
  );
});
