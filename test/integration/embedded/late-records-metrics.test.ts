/**
 * Flink's numLateRecordsDropped from a finished embedded job: window operators (keyed and
 * `windowAll`) without a late side output count the readings they drop, per subtask.
 */
import type { OperatorMetrics } from '../../../runtime/deployment/execution-state';
import { LATE_DROP_ARGS, expectedLateDrops } from '../../fixtures/jobs/late-drop-reference';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

const operatorsOf = (tasks: Record<string, { operators: readonly OperatorMetrics[] }>): OperatorMetrics[] =>
  Object.values(tasks).flatMap((t) => [...t.operators]);

describe('late records dropped, embedded', () => {
  const expected = expectedLateDrops();

  it('the reference has late readings, and the allowed lateness takes some readings that are behind', () => {
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(expectedLateDrops({ ...LATE_DROP_ARGS, lateness: '0' }));
  });

  it.each([
    ['keyed windows', { fn: 'process', parallelism: '2' }],
    ['windowAll', { all: 'true' }],
  ])('%s count every late reading they drop, and only window operators report it', async (_name, extra) => {
    const { result } = await runEmbedded(fixtureJob('window-job'), { ...LATE_DROP_ARGS, ...extra });
    const operators = operatorsOf(result.tasks);
    const windows = operators.filter((o) => o.lateRecordsDropped !== undefined);
    expect(windows.length).toBeGreaterThan(0);
    for (const w of windows) expect(w.name).toMatch(/window/i);
    expect(windows.reduce((n, o) => n + o.lateRecordsDropped!, 0)).toBe(expected);
    // Every reading reached the windows: the late ones among them are the dropped ones.
    expect(windows.reduce((n, o) => n + o.recordsIn, 0)).toBe(Number(LATE_DROP_ARGS.count));
  });
});
