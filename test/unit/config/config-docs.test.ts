import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../../runtime/errors';
import {
  CONFIG_DOCS_END,
  CONFIG_DOCS_START,
  renderConfigTable,
  updateConfigSection,
} from '../../../runtime/config/config-docs';
import { CONFIG_OPTIONS } from '../../../runtime/config/options';

const README = path.resolve(__dirname, '../../../README.md');

describe('config docs', () => {
  it('render one row per key with type, default and description', () => {
    // Columns are padded for Prettier; collapse the padding to compare cells.
    const table = renderConfigTable().replace(/ {2,}/g, ' ');
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    expect(rows).toHaveLength(Object.keys(CONFIG_OPTIONS).length);
    expect(table).toContain('| `execution.buffer-timeout` | duration | `100 ms` |');
    expect(table).toContain('| `execution.exchange` | tcp \\| sqs | `tcp` |');
    expect(table).toContain('| `taskmanager.numberOfTaskSlots` | int (>= 1) | number of CPUs |');
    expect(table).toContain('| `s3.secret-key` | string, optional, secret | (none) |');
  });

  it('replace only the marked section', () => {
    const readme = `# Title\n\nintro\n${CONFIG_DOCS_START}\nold table\n${CONFIG_DOCS_END}\n\n## After\n`;
    const updated = updateConfigSection(readme);
    expect(updated.startsWith(`# Title\n\nintro\n${CONFIG_DOCS_START}\n\n`)).toBe(true);
    expect(updated.endsWith(`\n\n${CONFIG_DOCS_END}\n\n## After\n`)).toBe(true);
    expect(updated).not.toContain('old table');
    expect(updateConfigSection(updated)).toBe(updated);
    expect(() => updateConfigSection('# no markers\n')).toThrow(ConfigError);
  });

  it('in README.md are up to date', () => {
    const readme = fs.readFileSync(README, 'utf8');
    const fresh = updateConfigSection(readme);
    if (fresh !== readme) {
      throw new Error(
        'README.md configuration table is stale: run `npx tsx scripts/gen-config-docs.ts` and commit README.md',
      );
    }
    expect(readme).toContain(renderConfigTable());
  });
});
