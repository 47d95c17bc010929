import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../../runtime/config';
import { stateSettingsFrom } from '../../../runtime/state/state-backend-factory';
import { waitFor } from '../../../runtime/util/wait';
import { sale } from '../../fixtures/jobs/all-state-kinds-job';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

const COUNT = 3000;

/** What the job's keyed process must print last for each user, computed without Sluice. */
function expectedFinalProcessLines(): Map<string, string> {
  const perUser = new Map<string, { amounts: number[]; items: Map<string, number> }>();
  for (let n = 0; n < COUNT; n++) {
    const s = sale(n);
    const u = perUser.get(s.user) ?? { amounts: [] as number[], items: new Map<string, number>() };
    u.amounts.push(s.amount);
    u.items.set(s.item, (u.items.get(s.item) ?? 0) + 1);
    perUser.set(s.user, u);
  }
  const lines = new Map<string, string>();
  for (const [user, { amounts, items }] of perUser) {
    const avg = Math.round((amounts.reduce((a, b) => a + b, 0) / amounts.length) * 1000) / 1000;
    const entries = [...items].sort(([a], [b]) => (a < b ? -1 : 1));
    lines.set(
      user,
      `process ${user} count=${amounts.length} recent=${amounts.slice(-3)} items=${JSON.stringify(entries)} ` +
        `max=${Math.max(...amounts)} avg=${avg}`,
    );
  }
  return lines;
}

/** Per record kind and key, the line with the highest count (the key's final state). */
function lastProcessLines(results: string[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const line of results.filter((l) => l.startsWith('process '))) {
    const user = line.split(' ')[1]!;
    const count = (l: string) => Number(/count=(\d+)/.exec(l)![1]);
    if (!last.has(user) || count(line) > count(last.get(user)!)) last.set(user, line);
  }
  return last;
}

describe('keyed state in an embedded job', () => {
  let localDir: string;

  beforeEach(() => {
    localDir = mkdtempSync(join(tmpdir(), 'sluice-kv-job-'));
  });

  afterEach(() => rmSync(localDir, { recursive: true, force: true }));

  const run = (backend: 'heap' | 'kv', args: Record<string, string> = {}) =>
    runEmbedded(
      fixtureJob('all-state-kinds-job'),
      { count: String(COUNT), ...args },
      { parallelism: 2, stateBackend: backend },
      { state: { ...stateSettingsFrom(defaultConfig()), localDir } },
    );

  it('gives the same results on heap and kv, every state kind included', async () => {
    const heap = (await run('heap')).result.results as string[];
    const kv = (await run('kv')).result.results as string[];
    expect(heap.length).toBe(COUNT + COUNT + COUNT / 3 + COUNT);
    expect([...kv].sort()).toEqual([...heap].sort());

    const expected = expectedFinalProcessLines();
    expect(lastProcessLines(kv)).toEqual(expected);
    expect(lastProcessLines(heap)).toEqual(expected);
    const finalSum = (user: string) =>
      Math.max(...kv.filter((l) => l.startsWith(`sum ${user} `)).map((l) => Number(l.split(' ')[2])));
    const expectedSum = [...Array(COUNT).keys()]
      .filter((n) => n % 37 === 5)
      .reduce((a, n) => a + (n % 11), 0);
    expect(finalSum('u5')).toBe(expectedSum);
    expect(kv).toContain(
      `co-return u0 ${[...Array(COUNT / 3).keys()].filter((n) => n % 37 === 0).reduce((a, n) => a + (n % 4), 0)}`,
    );
  });

  it('keeps kv files in the local directory while tasks run and removes them when they end', async () => {
    const job = run('kv', { count: String(COUNT), paceEvery: '10' });
    const seen: string[] = [];
    await waitFor(
      () => {
        seen.splice(0, seen.length, ...readdirSync(localDir, { recursive: true }).map(String));
        return seen.some((f) => f.endsWith('data.mdb'));
      },
      { timeoutMs: 20_000, intervalMs: 5, what: 'kv state files in the local directory' },
    );
    await job;
    expect(existsSync(localDir)).toBe(true);
    expect(readdirSync(localDir)).toEqual([]);
  });

  it('uses heap state without touching the local directory', async () => {
    await run('heap');
    expect(readdirSync(localDir)).toEqual([]);
  });
});
