import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../runtime/config';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

const base = mkdtempSync(join(tmpdir(), 'sluice-slow-open-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('checkpoints and a task that takes long to open', () => {
  it('are not triggered before every task opened, so the job does not fail over', async () => {
    // Each trigger fired while a task is still opening would be declined; with the default
    // execution.checkpointing.tolerable-failed-checkpoints (0) the first decline fails the job over.
    const config = loadConfig({ overrides: { 'storage.fs.dir': join(base, 'blobs') }, env: {} });
    const { lines, result } = await runEmbedded(
      fixtureJob('slow-open-job'),
      { count: '2000', openMs: '1500', interval: '50' },
      { parallelism: 2 },
      { config },
    );
    expect(result.failures.map((f) => f.message)).toEqual([]);
    expect(result.restarts).toBe(0);
    const expected = Array.from({ length: 2000 }, (_, n) => String(2 * n));
    expect([...lines].sort()).toEqual([...expected].sort());
  });
});
