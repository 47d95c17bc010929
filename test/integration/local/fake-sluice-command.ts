import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The command that runs the fake `sluice` (fixtures/fake-sluice.ts) through tsx. The tsx
 * loader is given as an absolute URL because the children run in a temporary directory,
 * where `--import tsx` would not resolve.
 */
export const FAKE_SLUICE_COMMAND: readonly string[] = [
  process.execPath,
  '--import',
  pathToFileURL(require.resolve('tsx')).href,
  join(__dirname, 'fixtures', 'fake-sluice.ts'),
];
