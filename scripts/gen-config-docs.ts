/**
 * Regenerates the configuration table in README.md from the declarations in runtime/config.
 * Usage: npx tsx scripts/gen-config-docs.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { updateConfigSection } from '../runtime/config/config-docs';

const readmePath = path.resolve(__dirname, '..', 'README.md');
const current = fs.readFileSync(readmePath, 'utf8');
const updated = updateConfigSection(current);
if (updated === current) {
  process.stdout.write('README.md configuration table is up to date\n');
} else {
  fs.writeFileSync(readmePath, updated);
  process.stdout.write('README.md configuration table rewritten\n');
}
