/**
 * The short chaos run of `npm test` (issue 10; the full suite is `npm run chaos`): two seeded
 * runs, two faults each, on a fresh cluster of two job managers, three TaskManagers, Redis and
 * the emulator behind the fault proxy. Every committed record of the exactly-once-count job
 * must be there exactly once, and the job must finish.
 */
import { TASK_MANAGERS, chaosRun } from './chaos-run';
import { runTable, summary } from './chaos-report';

test('two short chaos runs: no record lost or duplicated, the job finishes', async () => {
  const reports = [];
  for (const seed of [1, 2]) {
    reports.push(await chaosRun({ seed, faults: 2, recordsPerSource: 12_000, logDir: '.sluice/chaos' }));
  }
  const { text, ok } = summary(reports);
  const table = `${runTable(reports)}\n${text}`;
  console.log(table);
  expect(reports.every((r) => r.faults.length > 0)).toBe(true);
  // The cluster has its size: the supervisor only replaces TaskManagers that died (it once
  // started a second set while the first was still starting).
  expect(reports.map((r) => r.maxLiveTaskManagers)).toEqual(reports.map(() => TASK_MANAGERS));
  for (const r of reports) {
    expect({ seed: r.seed, lost: r.check.lost, duplicated: r.check.duplicated }).toEqual({
      seed: r.seed,
      lost: 0,
      duplicated: 0,
    });
  }
  if (!ok) throw new Error(`chaos runs failed (logs under .sluice/chaos):\n${table}`);
}, 400_000);
