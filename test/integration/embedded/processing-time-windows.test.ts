import { fixtureJob, runEmbedded } from '../../helpers/embedded';

/**
 * Tumbling and sliding windows of the wall clock. Which window a number lands in depends on
 * when it arrives, so the reference is what must hold whatever the timing: computed here from
 * the raw numbers (bursts of `PER_BURST`, keyed by n % 3) and the window sizes alone.
 */
const PER_BURST = 30;
const BURSTS = 3;
const SIZE = 400;
const SLIDE = 200;

interface Firing {
  readonly key: number;
  readonly start: number;
  readonly end: number;
  readonly numbers: number[];
}

async function firings(assigner: 'tumbling' | 'sliding'): Promise<Firing[]> {
  const { lines } = await runEmbedded(fixtureJob('processing-windows-job'), {
    assigner,
    size: String(SIZE),
    slide: String(SLIDE),
    perBurst: String(PER_BURST),
    bursts: String(BURSTS),
    // Far above the window size: a window never holds two bursts, and the last burst's fire.
    pauseMs: '2000',
  });
  return lines.map((line) => {
    const [, key, start, end, numbers] = line.split(' ');
    return {
      key: Number(key),
      start: Number(start),
      end: Number(end),
      numbers: numbers!.split(',').map(Number),
    };
  });
}

/** The numbers of `key`, in the order the source emits them. */
const numbersOf = (key: number): number[] =>
  Array.from({ length: PER_BURST * BURSTS }, (_, n) => n).filter((n) => n % 3 === key);
const burstOf = (n: number): number => Math.floor(n / PER_BURST);

function checkCommon(all: Firing[], slide: number): void {
  for (const f of all) {
    // Windows of the assigner's grid, each holding numbers of its key from one burst, in order.
    expect(f.end - f.start).toBe(SIZE);
    expect(f.start % slide).toBe(0);
    expect(f.numbers.every((n) => n % 3 === f.key)).toBe(true);
    expect(new Set(f.numbers.map(burstOf)).size).toBe(1);
    expect(f.numbers).toEqual([...f.numbers].sort((a, b) => a - b));
  }
}

describe('processing-time windows', () => {
  it('tumbling: each number in exactly one window of its key; in window order they are the input', async () => {
    const all = await firings('tumbling');
    checkCommon(all, SIZE);
    for (const key of [0, 1, 2]) {
      const mine = all.filter((f) => f.key === key).sort((a, b) => a.start - b.start);
      expect(new Set(mine.map((f) => f.start)).size).toBe(mine.length);
      expect(mine.flatMap((f) => f.numbers)).toEqual(numbersOf(key));
    }
  });

  it('sliding: each number in size / slide windows of consecutive starts, later numbers never in earlier windows', async () => {
    const all = await firings('sliding');
    checkCommon(all, SLIDE);
    for (const key of [0, 1, 2]) {
      const mine = all.filter((f) => f.key === key);
      const startsOf = new Map<number, number[]>();
      for (const f of mine) for (const n of f.numbers) startsOf.set(n, [...(startsOf.get(n) ?? []), f.start]);
      const expectedNumbers = numbersOf(key);
      expect([...startsOf.keys()].sort((a, b) => a - b)).toEqual(expectedNumbers);
      let previousFirst = Number.NEGATIVE_INFINITY;
      for (const n of expectedNumbers) {
        const starts = startsOf.get(n)!.sort((a, b) => a - b);
        // An arrival at time t is in the windows starting at t - t % slide - k * slide, k < size / slide.
        expect(starts).toEqual(Array.from({ length: SIZE / SLIDE }, (_, k) => starts[0]! + k * SLIDE));
        expect(starts[0]!).toBeGreaterThanOrEqual(previousFirst);
        previousFirst = starts[0]!;
      }
    }
  });
});
