import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { JobOutput } from '../../../runtime/jobmanager/job-output';
import { FsBlobStore } from '../../../runtime/storage/fs/fs-blob-store';
import { waitFor } from '../../../runtime/util/wait';

const logger = pino({ level: 'silent' });

describe('JobOutput', () => {
  let dir: string;
  let store: FsBlobStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'job-output-'));
    store = new FsBlobStore({ dir });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function readAll(output: JobOutput): Promise<{ lines: string[]; results: unknown[] }> {
    const lines: string[] = [];
    const results: unknown[] = [];
    for (let line = 0, result = 0; ;) {
      const page = await output.page(line, result, 'RUNNING');
      lines.push(...page.lines);
      results.push(...page.results);
      if (page.nextLine === line && page.nextResult === result) return { lines, results };
      line = page.nextLine;
      result = page.nextResult;
    }
  }

  it('keeps a bounded tail in memory, spills the rest, and pages every item back from 0 in order', async () => {
    const output = new JobOutput('job1', { store, logger, segmentBytes: 4096, maxMemoryBytes: 16 * 1024 });
    output.reset(0);
    const sent: string[] = [];
    const values: unknown[] = [];
    // 4,000 lines in ~30 segments: each spill is two fsynced files, and a CI machine's disk
    // once took 140 s for the 65 segments of 10,000 lines.
    for (let batch = 0; batch < 80; batch++) {
      const lines = Array.from({ length: 50 }, (_, i) => `line ${batch * 50 + i}`);
      const results = [{ batch, tag: 'x'.repeat(30) }];
      sent.push(...lines);
      values.push(...results);
      await output.add(0, lines, results);
      expect(output.stats().lines.memoryBytes).toBeLessThanOrEqual(16 * 1024 + 50 * 32);
    }
    const stats = output.stats().lines;
    expect(stats.spilledItems).toBeGreaterThan(sent.length / 2);
    expect(stats.dropped).toBe(0);
    expect(stats.peakMemoryBytes).toBeLessThan(24 * 1024);
    expect(await store.list('jobs/job1/output/0/lines')).toHaveLength(stats.segments);
    const all = await readAll(output);
    expect(all.lines).toEqual(sent);
    expect(all.results).toEqual(values);
    // Paging from the middle of a spilled segment starts exactly there.
    expect((await output.page(1234, 0, 'RUNNING')).lines[0]).toBe('line 1234');
    // Once sealed (the job ended), nothing stays in memory and every line is still there.
    output.seal();
    await waitFor(() => output.stats().lines.memoryItems === 0 && output.stats().results.memoryItems === 0);
    expect((await readAll(output)).lines).toEqual(sent);
  });

  it('starts over for a new attempt, ignores late output of the old one and deletes its segments', async () => {
    const output = new JobOutput('job2', { store, logger, segmentBytes: 1024, maxMemoryBytes: 4096 });
    output.reset(0);
    for (let i = 0; i < 20; i++)
      await output.add(
        0,
        Array.from({ length: 20 }, (_, j) => `a${i}-${j}`),
      );
    expect((await store.list('jobs/job2/output/0')).length).toBeGreaterThan(0);
    output.reset(1);
    await output.add(0, ['late line of attempt 0']);
    await output.add(1, ['first of attempt 1']);
    const page = await output.page(0, 0, 'RUNNING');
    expect(page.attempt).toBe(1);
    expect(page.lines).toEqual(['first of attempt 1']);
    await waitFor(async () => (await store.list('jobs/job2/output/0')).length === 0, {
      what: "attempt 0's segments to be deleted",
    });
  });

  it('without a blob store drops the oldest lines and says how many', async () => {
    const output = new JobOutput('job3', { logger, segmentBytes: 1024, maxMemoryBytes: 4096 });
    output.reset(0);
    for (let i = 0; i < 50; i++)
      await output.add(
        0,
        Array.from({ length: 20 }, (_, j) => `${i}-${j}`),
      );
    const page = await output.page(0, 0, 'RUNNING');
    expect(page.droppedLines).toBeGreaterThan(0);
    expect(page.lines[0]).toBe(`${Math.floor(page.droppedLines / 20)}-${page.droppedLines % 20}`);
    expect(output.stats().lines.memoryBytes).toBeLessThanOrEqual(2 * 1024 + 20 * 16);
  });
});
