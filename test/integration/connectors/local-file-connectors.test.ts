import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

describe('local file connectors, embedded', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-local-files-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a rerun at a lower parallelism adds its own parts beside the first run and replaces none', async () => {
    const input = join(dir, 'input.txt');
    const lines = Array.from({ length: 5000 }, (_, i) => `entry ${i}`);
    writeFileSync(input, lines.join('\n'));
    const output = join(dir, 'out');
    const first = await runEmbedded(fixtureJob('copy-lines-job'), { input, output }, { parallelism: 3 });
    const second = await runEmbedded(fixtureJob('copy-lines-job'), { input, output }, { parallelism: 2 });
    expect(first.result.jobId).not.toBe(second.result.jobId);
    const files = readdirSync(output).sort();
    const partsOf = (jobId: string, n: number): string[] =>
      Array.from({ length: n }, (_, i) => `part-${jobId}-${i}-0.txt`);
    expect(files).toEqual([...partsOf(first.result.jobId, 3), ...partsOf(second.result.jobId, 2)].sort());
    for (const [jobId, n] of [
      [first.result.jobId, 3],
      [second.result.jobId, 2],
    ] as const) {
      const copied = partsOf(jobId, n).flatMap((f) =>
        readFileSync(join(output, f), 'utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      expect(copied.sort()).toEqual(lines.map((l) => `${l}|copied`).sort());
    }
  });
});
