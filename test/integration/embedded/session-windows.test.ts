import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, loadConfig } from '../../../runtime/config';
import { stateSettingsFrom } from '../../../runtime/state/state-backend-factory';
import type { SessionReading } from '../../fixtures/jobs/session-job';
import { sessionReadings } from '../../fixtures/jobs/session-job';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

interface Case {
  readonly fn: 'process' | 'reduce' | 'count';
  readonly lateness: number;
  readonly stateBackend: 'heap' | 'kv';
}

const COUNT = 1500;
const GAP = 60;
const DELAY = 50;
const EVERY = 3;
const DISORDER = 60;
const LATE_BY = 600;
const ARGS = {
  count: String(COUNT),
  gap: String(GAP),
  delay: String(DELAY),
  trigger: String(EVERY),
  disorder: String(DISORDER),
  lateBy: String(LATE_BY),
};

interface Session {
  start: number;
  end: number;
  elements: SessionReading[];
  /** The default trigger's timer at end - 1 is registered and has not fired. */
  pending: boolean;
  /** The count trigger's count since its last firing. */
  count: number;
}

/**
 * Every line the job must print, from the raw readings in source order, written out here
 * independently of Sluice: a reading opens [ts, ts + gap) and sessions of a key that overlap
 * or touch merge; the default trigger fires a session once the watermark (max - delay - 1 after
 * each reading) passes its end and again for every reading that joins it later; the count
 * trigger fires every EVERY readings of a session (merged sessions add their counts). A
 * session is dropped once the watermark passes its end plus the lateness; a reading whose
 * own session would already be dropped, and that joins none, is late.
 */
function expected(c: Case): { lines: string[]; bridges: number } {
  const lines: string[] = [];
  const sessions = new Map<string, Session[]>();
  let watermark = Number.NEGATIVE_INFINITY;
  let highest = Number.NEGATIVE_INFINITY;
  let bridges = 0;
  const fire = (sensor: string, s: Session) => {
    const sum = s.elements.reduce((a, r) => a + r.value, 0);
    lines.push(
      c.fn === 'reduce'
        ? `reduce ${sensor} ${s.end} ${sum}`
        : `${c.fn} ${sensor} ${s.start} ${s.end} ${s.elements.length}:${sum}`,
    );
  };
  for (const r of sessionReadings(COUNT, DISORDER, LATE_BY)) {
    const own = sessions.get(r.sensor) ?? [];
    const touching = own.filter((s) => s.start <= r.ts + GAP && s.end >= r.ts);
    if (touching.length === 0 && r.ts + GAP - 1 + c.lateness <= watermark) {
      lines.push(`late ${r.sensor} ${r.ts}`);
    } else {
      const start = Math.min(r.ts, ...touching.map((s) => s.start));
      const end = Math.max(r.ts + GAP, ...touching.map((s) => s.end));
      let session =
        touching.length === 1 && touching[0]!.start === start && touching[0]!.end === end
          ? touching[0]
          : undefined;
      if (!session) {
        if (touching.length > 1) bridges++;
        session = {
          start,
          end,
          elements: touching.flatMap((s) => s.elements),
          pending: false,
          count: touching.reduce((a, s) => a + s.count, 0),
        };
        sessions.set(r.sensor, [...own.filter((s) => !touching.includes(s)), session]);
      }
      session.elements.push(r);
      if (c.fn === 'count') {
        if (++session.count >= EVERY) {
          session.count = 0;
          fire(r.sensor, session);
        }
      } else if (end - 1 <= watermark) fire(r.sensor, session);
      else session.pending = true;
    }
    highest = Math.max(highest, r.ts);
    advance(Math.max(watermark, highest - DELAY - 1));
  }
  advance(Number.POSITIVE_INFINITY);
  return { lines: lines.sort(), bridges };

  function advance(to: number): void {
    watermark = to;
    for (const [sensor, own] of sessions) {
      for (const s of own) {
        if (s.pending && s.end - 1 <= watermark) {
          s.pending = false;
          fire(sensor, s);
        }
      }
      sessions.set(
        sensor,
        own.filter((s) => s.end - 1 + c.lateness > watermark),
      );
    }
  }
}

describe('event-time session windows', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sluice-sessions-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each<Case>([
    { fn: 'process', lateness: 0, stateBackend: 'heap' },
    { fn: 'reduce', lateness: 200, stateBackend: 'heap' },
    { fn: 'process', lateness: 200, stateBackend: 'kv' },
    { fn: 'count', lateness: 0, stateBackend: 'heap' },
    { fn: 'count', lateness: 100, stateBackend: 'kv' },
  ])(
    '$fn, lateness $lateness, $stateBackend state: sessions merge and fire as the reference says',
    async (c) => {
      const { lines } = await runEmbedded(
        fixtureJob('session-job'),
        { ...ARGS, fn: c.fn, lateness: String(c.lateness), stateBackend: c.stateBackend },
        {},
        { state: { ...stateSettingsFrom(defaultConfig()), localDir: dir } },
      );
      const reference = expected(c);
      // The input really bridges sessions and really has late readings.
      expect(reference.bridges).toBeGreaterThan(5);
      expect(reference.lines.filter((l) => l.startsWith('late ')).length).toBeGreaterThan(5);
      expect([...lines].sort()).toEqual(reference.lines);
    },
  );

  it.each(['heap', 'kv'] as const)(
    'merged session contents and timers are checkpointed: a failure after a checkpoint changes no committed line (%s)',
    async (stateBackend) => {
      const config = loadConfig({ overrides: { 'storage.fs.dir': join(dir, 'blobs') }, env: {} });
      const output = join(dir, 'out');
      const { result } = await runEmbedded(
        fixtureJob('session-job'),
        { ...ARGS, fn: 'process', stateBackend, output, markerDir: dir, checkpointsDir: join(dir, 'blobs') },
        { checkpointIntervalMs: 100, restartStrategy: { 'restart-strategy.fixed-delay.delay': 10 } },
        { config, state: { ...stateSettingsFrom(config), localDir: dir } },
      );
      expect(result.restarts).toBe(1);
      const committed = readdirSync(output)
        .filter((f) => f.startsWith('part-'))
        .flatMap((f) => readFileSync(join(output, f), 'utf8').split('\n').filter(Boolean));
      expect(committed.sort()).toEqual(expected({ fn: 'process', lateness: 0, stateBackend }).lines);
    },
    120_000,
  );
});

it('processing-time sessions close after the gap of wall clock without a record of their key', async () => {
  const perBurst = 30;
  const { lines } = await runEmbedded(fixtureJob('processing-session-job'), {
    perBurst: String(perBurst),
    bursts: '3',
    // A gap far above how long a loaded machine may stall between two records of a burst.
    pauseMs: '5000',
    gapMs: '1500',
  });
  // Reference: one session per key and burst, holding the burst's numbers of that key.
  const expectedLines: string[] = [];
  for (let burst = 0; burst < 3; burst++) {
    for (let key = 0; key < 3; key++) {
      const ns = Array.from({ length: perBurst }, (_, i) => burst * perBurst + i).filter(
        (n) => n % 3 === key,
      );
      expectedLines.push(`session ${key} ${ns.length}:${ns.reduce((a, n) => a + n, 0)}`);
    }
  }
  expect([...lines].sort()).toEqual(expectedLines.sort());
});
