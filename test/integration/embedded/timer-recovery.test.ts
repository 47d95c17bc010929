import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureJob, numbersAfter, runFailingOnce } from '../../helpers/embedded';

const base = mkdtempSync(join(tmpdir(), 'sluice-timers-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const COUNT = 5000;

it.each(['heap', 'kv'] as const)(
  'event-time timers are keyed state: restored from the checkpoint after a failure (%s)',
  async (stateBackend) => {
    const { result } = await runFailingOnce(
      fixtureJob('timer-recovery-job'),
      { count: String(COUNT), failAt: '2000', stateBackend },
      base,
      { parallelism: 2 },
    );
    expect(result.restarts).toBe(1);
    // The results are those of the attempt that finished, which started from a checkpoint.
    const lines = result.results as string[];
    const firstReplayed = Math.min(...numbersAfter(lines, 'rec '));
    const fired = numbersAfter(lines, 'fire ').sort((a, b) => a - b);
    expect(firstReplayed).toBeGreaterThan(1);
    // Timers registered before the checkpoint fired after the restart ...
    expect(fired[0]).toBeLessThan(firstReplayed);
    // ... and from there on every timer fired exactly once, up to the last record's.
    const from = fired[0]!;
    expect(fired).toEqual(Array.from({ length: COUNT - from + 1 }, (_, i) => from + i));
  },
  120_000,
);
