import { fixtureJob, runEmbedded } from '../../helpers/embedded';

const COUNT = 400;
const DELAY = 400; // covers the disorder of source a (300 ms of event time)
/** The job's disorder: each block of 4 emitted in reverse. */
const disorder = (n: number): number => n - (n % 4) + (3 - (n % 4));

interface Fire {
  readonly key: number;
  readonly time: number;
  readonly watermark: number;
}

function parseFires(lines: string[]): Fire[] {
  return lines
    .filter((l) => l.startsWith('fire '))
    .map((l) => {
      const [, key, time, watermark] = l.split(' ');
      return { key: Number(key), time: Number(time), watermark: Number(watermark) };
    });
}

/** The timers the job must fire, computed from the raw events: one per (key, timestamp). */
function expectedTimers(sources: readonly ('a' | 'b')[]): string[] {
  const timers = new Set<string>();
  for (const src of sources) {
    for (let n = 0; n < COUNT; n++) timers.add(`${n % 5} ${disorder(n) * (src === 'a' ? 100 : 10)}`);
  }
  return [...timers].sort();
}

describe('event time in an embedded job', () => {
  const run = (args: Record<string, string>) =>
    runEmbedded(fixtureJob('event-time-job'), { count: String(COUNT), delay: String(DELAY), ...args });

  it.each(['union', 'connect'])(
    'takes the minimum watermark of inputs that advance at different speeds (%s)',
    async (topology) => {
      const { lines } = await run({ topology });
      // Source a's event time runs 100x ahead of b's: had the faster input set event time, b's records would be late.
      expect(lines.filter((l) => l.startsWith('late ') || l.startsWith('bad-timestamp '))).toEqual([]);
      const fires = parseFires(lines);
      expect(fires.map((f) => `${f.key} ${f.time}`).sort()).toEqual(expectedTimers(['a', 'b']));
      for (const f of fires) expect(f.watermark).toBeGreaterThanOrEqual(f.time);
      // Watermarks travelled in band while the job ran, not only as the final one at the end.
      expect(fires.filter((f) => Number.isFinite(f.watermark)).length).toBeGreaterThan(COUNT / 4);
    },
  );

  it('excludes idle inputs from event time with withIdleness, and stalls without it', async () => {
    const last = disorder(COUNT - 1) * 100;
    const early = (fires: Fire[]) => fires.filter((f) => f.time < last - 3000);

    const idle = parseFires((await run({ topology: 'idle', idleMs: '3000', idleness: '300' })).lines);
    expect(idle.map((f) => `${f.key} ${f.time}`).sort()).toEqual(expectedTimers(['a']));
    expect(early(idle).length).toBeGreaterThan(COUNT / 2);
    for (const f of early(idle)) expect(f.watermark).toBeLessThan(Number.POSITIVE_INFINITY);

    // Silent for longer than the other input takes even on a loaded machine: had it ended first,
    // its final watermark would have let event time advance before the end.
    const stalled = parseFires((await run({ topology: 'idle', idleMs: '25000' })).lines);
    expect(stalled.map((f) => `${f.key} ${f.time}`).sort()).toEqual(expectedTimers(['a']));
    // The silent input held event time back until it ended: every timer fired with the final watermark.
    for (const f of stalled) expect(f.watermark).toBe(Number.POSITIVE_INFINITY);
  }, 120_000);
});
