import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../../runtime/config';
import { stateSettingsFrom } from '../../../runtime/state/state-backend-factory';
import type { Reading } from '../../fixtures/jobs/window-job';
import { readings } from '../../fixtures/jobs/window-job';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

interface Case {
  readonly fn: 'reduce' | 'aggregate' | 'process';
  readonly assigner: 'tumbling' | 'sliding';
  readonly lateness: number;
  readonly stateBackend: 'heap' | 'kv';
  /** windowAll: one window per time range over all sensors. */
  readonly all?: boolean;
}

const COUNT = 2000;
const SIZE = 100;
const SLIDE = 30;
const DELAY = 50;
const DISORDER = 40;
const LATE_BY = 400;

/** The windows holding `ts`, written out here independently of Sluice's assigners. */
function windowsOf(ts: number, assigner: Case['assigner']): [number, number][] {
  const slide = assigner === 'tumbling' ? SIZE : SLIDE;
  const out: [number, number][] = [];
  for (let start = ts - (ts % slide); start > ts - SIZE; start -= slide) out.push([start, start + SIZE]);
  return out;
}

function result(fn: Case['fn'], elements: Reading[]): string {
  const sum = elements.reduce((a, r) => a + r.value, 0);
  if (fn === 'reduce') return String(sum);
  if (fn === 'aggregate') return String(sum / elements.length);
  return `${elements.length}:${sum}`;
}

/**
 * Every firing the job must print, from the raw readings in the order the source emits them:
 * a watermark after each reading (max - delay - 1); a window fires once when the watermark
 * passes its end, and again for each late reading within the allowed lateness; readings
 * later than that are dropped.
 */
function expectedFirings(c: Case): { lines: string[]; dropped: number } {
  const contents = new Map<string, Reading[]>();
  const fired = new Set<string>();
  const lines: string[] = [];
  let watermark = Number.NEGATIVE_INFINITY;
  let dropped = 0;
  const emit = (id: string) => {
    const [sensor, start, end] = id.split(' ');
    lines.push(`${c.fn} ${c.all ? 'all' : sensor} ${start} ${end} ${result(c.fn, contents.get(id)!)}`);
  };
  const fireDue = () => {
    for (const id of contents.keys()) {
      const end = Number(id.split(' ')[2]);
      if (!fired.has(id) && end - 1 <= watermark) {
        fired.add(id);
        emit(id);
      }
    }
  };
  let max = Number.NEGATIVE_INFINITY;
  for (const r of readings(COUNT, DISORDER, LATE_BY)) {
    let taken = false;
    for (const [start, end] of windowsOf(r.ts, c.assigner)) {
      if (end - 1 + c.lateness <= watermark) continue;
      taken = true;
      const id = `${c.all ? 'all' : r.sensor} ${start} ${end}`;
      contents.set(id, [...(contents.get(id) ?? []), r]);
      if (end - 1 <= watermark) {
        fired.add(id);
        emit(id);
      }
    }
    if (!taken) dropped++;
    max = Math.max(max, r.ts);
    if (max - DELAY - 1 > watermark) {
      watermark = max - DELAY - 1;
      fireDue();
    }
  }
  watermark = Number.POSITIVE_INFINITY;
  fireDue();
  return { lines: lines.sort(), dropped };
}

describe('event-time windows in an embedded job', () => {
  let localDir: string;
  beforeEach(() => (localDir = mkdtempSync(join(tmpdir(), 'sluice-windows-'))));
  afterEach(() => rmSync(localDir, { recursive: true, force: true }));

  it.each<Case>([
    { fn: 'reduce', assigner: 'tumbling', lateness: 0, stateBackend: 'heap', all: false },
    { fn: 'aggregate', assigner: 'sliding', lateness: 0, stateBackend: 'heap', all: false },
    { fn: 'process', assigner: 'sliding', lateness: 300, stateBackend: 'heap', all: false },
    { fn: 'reduce', assigner: 'tumbling', lateness: 300, stateBackend: 'kv', all: false },
    { fn: 'process', assigner: 'sliding', lateness: 0, stateBackend: 'heap', all: true },
    { fn: 'process', assigner: 'tumbling', lateness: 300, stateBackend: 'kv', all: true },
  ])(
    '$fn over $assigner windows, lateness $lateness, $stateBackend state, windowAll $all, equals the reference',
    async (c) => {
      const { lines } = await runEmbedded(
        fixtureJob('window-job'),
        {
          count: String(COUNT),
          size: String(SIZE),
          slide: String(SLIDE),
          delay: String(DELAY),
          disorder: String(DISORDER),
          lateBy: String(LATE_BY),
          fn: c.fn,
          assigner: c.assigner,
          lateness: String(c.lateness),
          stateBackend: c.stateBackend,
          all: String(c.all === true),
        },
        {},
        { state: { ...stateSettingsFrom(defaultConfig()), localDir } },
      );
      const expected = expectedFirings(c);
      // The input really is out of order, and some readings really are too late (the reference counts them).
      if (c.lateness === 0) expect(expected.dropped).toBeGreaterThan(0);
      expect(lines.length).toBeGreaterThan(100);
      expect([...lines].sort()).toEqual(expected.lines);
    },
  );
});
