import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ConfigProblem } from '../errors';
import { suggestClosest } from './suggest';

/**
 * Reading the raw sources: a YAML file, `SLUICE_*` environment variables, explicit overrides.
 * Nothing here knows value types; every entry remembers where it came from so a later error
 * can say "from file /etc/sluice.yaml" or "from environment variable SLUICE_REST_PORT".
 */

/** One raw value from one source. `undefined` and `null` values mean "not set here". */
export interface RawEntry {
  readonly key: string;
  readonly value: unknown;
  readonly source: string;
}

export interface SourceRead {
  readonly entries: RawEntry[];
  readonly problems: ConfigProblem[];
}

/**
 * Reads a YAML file and flattens nested maps to dotted keys, so `rest: {port: 1}` and
 * `rest.port: 1` mean the same. A missing, unreadable or malformed file is a problem, not a throw,
 * so it is reported together with everything else.
 */
export function readYamlFile(absolutePath: string): SourceRead {
  const source = `file ${absolutePath}`;
  let text: string;
  try {
    text = fs.readFileSync(absolutePath, 'utf8');
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read: ${String(err)}`;
    return { entries: [], problems: [{ key: '(config file)', source, message: reason }] };
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    // Only the first line: the rest quotes the offending line, which may hold a secret.
    const firstLine = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    return {
      entries: [],
      problems: [{ key: '(config file)', source, message: `invalid YAML: ${firstLine}` }],
    };
  }
  if (doc === null || doc === undefined) return { entries: [], problems: [] };
  if (!isMap(doc)) {
    return {
      entries: [],
      problems: [{ key: '(config file)', source, message: 'the top level must be a map of keys to values' }],
    };
  }
  const read: SourceRead = { entries: [], problems: [] };
  flattenInto(doc, '', source, read, new Set());
  return read;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function flattenInto(
  map: Record<string, unknown>,
  prefix: string,
  source: string,
  read: SourceRead,
  seen: Set<string>,
): void {
  for (const [name, value] of Object.entries(map)) {
    const key = `${prefix}${name}`;
    if (isMap(value)) {
      flattenInto(value, `${key}.`, source, read, seen);
    } else if (seen.has(key)) {
      read.problems.push({
        key,
        source,
        message: 'set more than once in the file (nested and dotted forms)',
      });
    } else {
      seen.add(key);
      read.entries.push({ key, value, source });
    }
  }
}

/**
 * Picks the `SLUICE_*` variables out of an environment. Each must name a config key (through
 * `index`, env name → key) or be reserved; any other is reported with the closest known name.
 */
export function readEnvironment(
  env: NodeJS.ProcessEnv,
  index: ReadonlyMap<string, string>,
  reserved: readonly string[],
): SourceRead {
  const read: SourceRead = { entries: [], problems: [] };
  const known = [...index.keys()];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('SLUICE_') || reserved.includes(name) || value === undefined) continue;
    const source = `environment variable ${name}`;
    const key = index.get(name);
    if (key !== undefined) {
      read.entries.push({ key, value, source });
      continue;
    }
    const near = suggestClosest(name, known);
    const hint = near === undefined ? '' : `; did you mean ${near} (${index.get(near) ?? ''})?`;
    read.problems.push({
      key: name,
      source: 'environment',
      message: `unknown variable (neither a config key nor reserved)${hint}`,
    });
  }
  return read;
}

/** Turns an overrides record (CLI flags, `-D` pairs) into entries; unset values are skipped. */
export function readOverrides(overrides: Readonly<Record<string, unknown>>, source: string): RawEntry[] {
  return Object.entries(overrides)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => ({ key, value, source }));
}
