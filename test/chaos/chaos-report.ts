import type { ChaosRunReport } from './chaos-run';

/** `12.3 s`, or `none` when a fault was never recovered from. */
function seconds(ms: number): string {
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'none';
}

const HEADER = ['seed', 'faults applied', 'records', 'lost', 'duplicated', 'longest recovery', 'status'];
const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;

/** The table's header lines. */
export function tableHeader(): string {
  return [line(HEADER), line(HEADER.map(() => '---'))].join('\n');
}

/** One run's row: seed, faults applied, records, lost, duplicated, longest recovery, status. */
export function tableRow(r: ChaosRunReport): string {
  return line([
    String(r.seed),
    r.faults.length === 0 ? '-' : r.faults.join('; '),
    `${r.check.records}/${r.check.expected}`,
    String(r.check.lost),
    String(r.check.duplicated),
    seconds(r.longestRecoveryMs),
    r.check.badCountKeys > 0 ? `${r.status}, ${r.check.badCountKeys} keys with wrong counts` : r.status,
  ]);
}

/** A markdown table with one row per run. */
export function runTable(reports: readonly ChaosRunReport[]): string {
  return [tableHeader(), ...reports.map(tableRow)].join('\n');
}

/** Runs, faults, lost, duplicated over all runs, and whether the goal (0 lost, 0 duplicated, all finished) held. */
export function summary(reports: readonly ChaosRunReport[]): { text: string; ok: boolean } {
  const sum = (f: (r: ChaosRunReport) => number): number => reports.reduce((n, r) => n + f(r), 0);
  const lost = sum((r) => r.check.lost);
  const duplicated = sum((r) => r.check.duplicated);
  const unfinished = reports.filter((r) => r.status !== 'FINISHED').length;
  const badCounts = sum((r) => r.check.badCountKeys);
  const longest = Math.max(0, ...reports.map((r) => r.longestRecoveryMs));
  const ok = lost === 0 && duplicated === 0 && unfinished === 0 && badCounts === 0;
  const text =
    `runs ${reports.length}, faults ${sum((r) => r.faults.length)}, lost ${lost}, duplicated ${duplicated}, ` +
    `not finished ${unfinished}, keys with wrong counts ${badCounts}, longest recovery ${seconds(longest)}, ` +
    `S3 requests ${sum((r) => r.s3.requests)} (5xx ${sum((r) => r.s3.errors)}, dropped ${sum((r) => r.s3.drops)}, ` +
    `delayed ${sum((r) => r.s3.delays)}): ${ok ? 'OK' : 'FAILED'}`;
  return { text, ok };
}
