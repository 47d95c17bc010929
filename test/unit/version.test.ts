import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SLUICE_VERSION } from '../../runtime/version';

test('SLUICE_VERSION is the version in package.json', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  expect(SLUICE_VERSION).toBe(pkg.version);
});
