import { DISORDER_MS, clickAt, impressionAt } from '../../../functions/interval-join';
import { functionJob, runEmbedded } from '../../helpers/embedded';

const COUNT = 1500;
const impressions = Array.from({ length: COUNT }, (_, n) => impressionAt(n));
const clicks = Array.from({ length: COUNT / 2 }, (_, n) => clickAt(n));

/** Every (impression, click) pair of one ad whose click time satisfies `within(impression ts, click ts)`. */
function pairs(within: (ti: number, tc: number) => boolean): string[] {
  const out: string[] = [];
  for (const i of impressions)
    for (const c of clicks) if (i.adId === c.adId && within(i.ts, c.ts)) out.push(`${i.id} ${c.id}`);
  return out.sort();
}

describe('joins of two event-time streams', () => {
  it.each([
    ['heap', -100, 300, false],
    ['kv', -100, 300, true],
    ['heap', 50, 400, false],
    ['heap', -400, -50, true],
  ] as const)(
    'interval join (%s, between %d and %d ms, exclusive %s) equals every pair within the interval',
    async (stateBackend, lower, upper, exclusive) => {
      const { lines } = await runEmbedded(
        functionJob('interval-join'),
        {
          count: String(COUNT),
          lower: String(lower),
          upper: String(upper),
          exclusive: String(exclusive),
          stateBackend,
        },
        { parallelism: 3 },
      );
      const expected = pairs((ti, tc) =>
        exclusive ? tc > ti + lower && tc < ti + upper : tc >= ti + lower && tc <= ti + upper,
      );
      expect(expected.length).toBeGreaterThan(100);
      expect([...lines].sort()).toEqual(expected);
    },
  );

  it('an exclusive bound leaves out pairs exactly on it', () => {
    // The data has pairs on the bounds, so the exclusive cases above differ from the inclusive ones.
    const onBound = pairs((ti, tc) => tc === ti - 100 || tc === ti + 300);
    expect(onBound.length).toBeGreaterThan(0);
    expect(DISORDER_MS).toBeGreaterThan(0);
  });

  it.each(['heap', 'kv'] as const)(
    'window join equals every pair of one ad in one tumbling window (%s)',
    async (stateBackend) => {
      const size = 500;
      const { lines } = await runEmbedded(
        functionJob('interval-join'),
        { kind: 'window', count: String(COUNT), size: String(size), stateBackend },
        { parallelism: 2 },
      );
      const expected = pairs((ti, tc) => Math.floor(ti / size) === Math.floor(tc / size));
      expect(expected.length).toBeGreaterThan(100);
      expect([...lines].sort()).toEqual(expected);
    },
  );

  it('coGroup gives each ad and window both sides, either possibly empty', async () => {
    const size = 500;
    const { lines } = await runEmbedded(
      functionJob('interval-join'),
      { kind: 'coGroup', count: String(COUNT), size: String(size) },
      { parallelism: 2 },
    );
    const groups = new Map<string, [number, number]>();
    const add = (ad: number, ts: number, side: 0 | 1) => {
      const key = `${ad} ${Math.floor(ts / size) * size}`;
      const g = groups.get(key) ?? [0, 0];
      g[side]++;
      groups.set(key, g);
    };
    for (const i of impressions) add(i.adId, i.ts, 0);
    for (const c of clicks) add(c.adId, c.ts, 1);
    const expected = [...groups].map(([key, [a, b]]) => `${key} ${a} ${b}`).sort();
    expect(expected.some((l) => l.endsWith(' 0'))).toBe(true); // groups with no click
    expect([...lines].sort()).toEqual(expected);
  });
});
