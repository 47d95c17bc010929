import type { OperatorMetrics } from '../../../runtime/deployment/execution-state';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

/** Sums per-operator counts over tasks, by operator name. */
function totals(operators: OperatorMetrics[]): Map<string, { in: number; out: number }> {
  const sums = new Map<string, { in: number; out: number }>();
  for (const op of operators) {
    const sum = sums.get(op.name) ?? { in: 0, out: 0 };
    sums.set(op.name, { in: sum.in + op.recordsIn, out: sum.out + op.recordsOut });
  }
  return sums;
}

describe('operator metrics, embedded', () => {
  it('counts records in and out of every operator inside a chain', async () => {
    const count = 12_345;
    const { result } = await runEmbedded(
      fixtureJob('chained-job'),
      { count: String(count) },
      { parallelism: 2 },
    );
    const tasks = Object.values(result.tasks);
    expect(tasks).toHaveLength(2); // one chain, two subtasks
    const evens = (result.results as number[]).reduce((a, b) => a + b, 0);
    expect(evens).toBe([...Array(count).keys()].filter((i) => ((i + 1) * 3) % 2 === 0).length);
    const ops = totals(tasks.flatMap((t) => [...t.operators]));
    expect([...ops.keys()]).toEqual(['numbers', 'triple', 'even', 'count']);
    expect(ops.get('numbers')).toEqual({ in: count, out: count });
    expect(ops.get('triple')).toEqual({ in: count, out: count });
    expect(ops.get('even')).toEqual({ in: count, out: evens });
    expect(ops.get('count')).toEqual({ in: evens, out: evens });
    // The task: records read by its source in, records written by its sink out.
    expect(tasks.reduce((n, t) => n + t.recordsIn, 0)).toBe(count);
    expect(tasks.reduce((n, t) => n + t.recordsOut, 0)).toBe(evens);
    for (const t of tasks) {
      expect(t.busyMs).toBeGreaterThan(0);
      expect(t.busyMs + t.idleMs + t.backPressuredMs).toBeCloseTo(t.runningMs, 0);
    }
  });
});
