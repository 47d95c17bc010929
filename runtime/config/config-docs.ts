import { ConfigError } from '../errors';
import { CONFIG_OPTIONS } from './options';
import type { ConfigOption } from './schema';

/**
 * The configuration reference in README.md, generated from the declarations so it cannot
 * drift: `npx tsx scripts/gen-config-docs.ts` rewrites the part between the markers, and a
 * unit test fails when the committed table differs from what this renders.
 */

export const CONFIG_DOCS_START = '<!-- config:start -->';
export const CONFIG_DOCS_END = '<!-- config:end -->';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Pads the columns the way Prettier formats markdown tables, so `prettier --check` agrees. */
function alignTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, i) =>
    Math.max(3, title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((width, i) => (cells[i] ?? '').padEnd(width)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}

/** One row per key, in declaration order: key, type, default, description. */
export function renderConfigTable(): string {
  const rows = Object.entries(CONFIG_OPTIONS as Readonly<Record<string, ConfigOption<unknown>>>).map(
    ([key, option]) => [
      `\`${key}\``,
      cell(`${option.type.label}${option.secret ? ', secret' : ''}`),
      cell(option.defaultDoc),
      cell(option.description),
    ],
  );
  const intro = [
    'Sources, lowest precedence first: defaults, the YAML file (`--config` or `SLUICE_CONFIG`; nested maps',
    'and dotted keys both work), `SLUICE_*` environment variables (the key upper-cased, `.` and `-` as `_`:',
    '`rest.port` is `SLUICE_REST_PORT`), then command-line flags and `-D key=value`. Durations take',
    "milliseconds or a unit (`'100 ms'`, `'10 s'`, `'5 min'`, `'1 h'`); memory sizes take the stated base unit",
    "or a unit (`'512 mb'`, `'1 gb'`, `'32 kb'`).",
  ];
  return [...intro, '', ...alignTable(['Key', 'Type', 'Default', 'Description'], rows)].join('\n');
}

/**
 * Returns `readme` with the text between the config markers replaced by the current table.
 * @throws ConfigError when the markers are missing or out of order.
 */
export function updateConfigSection(readme: string): string {
  const start = readme.indexOf(CONFIG_DOCS_START);
  const end = readme.indexOf(CONFIG_DOCS_END);
  if (start < 0 || end < start) {
    throw new ConfigError(`README has no '${CONFIG_DOCS_START}' … '${CONFIG_DOCS_END}' section to fill`);
  }
  const before = readme.slice(0, start + CONFIG_DOCS_START.length);
  return `${before}\n\n${renderConfigTable()}\n\n${readme.slice(end)}`;
}
