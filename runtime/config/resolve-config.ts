import type { ConfigProblem } from '../errors';
import type { RawEntry } from './config-sources';
import { CONFIG_OPTIONS, CROSS_KEY_CHECKS } from './options';
import type { ResolvedConfig } from './options';
import { describeValue } from './redact';
import type { ConfigOption } from './schema';
import { suggestClosest } from './suggest';

/**
 * Merges layers of raw entries (lowest precedence first), validates every key, fills defaults
 * and runs the cross-key rules, collecting every problem instead of stopping at the first.
 */

export type ResolveResult = { ok: true; config: ResolvedConfig } | { ok: false; problems: ConfigProblem[] };

const OPTIONS = CONFIG_OPTIONS as Readonly<Record<string, ConfigOption<unknown>>>;
const KEYS = Object.keys(OPTIONS);

export function resolveLayers(layers: readonly (readonly RawEntry[])[]): ResolveResult {
  const problems: ConfigProblem[] = [];
  const merged = new Map<string, RawEntry>();
  for (const layer of layers) {
    for (const entry of layer) {
      if (!Object.hasOwn(OPTIONS, entry.key)) problems.push(unknownKeyProblem(entry));
      // A null or undefined value leaves the lower layer's value in place.
      else if (entry.value !== undefined && entry.value !== null) merged.set(entry.key, entry);
    }
  }
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const failed = new Set<string>();
  for (const key of KEYS) {
    const option = OPTIONS[key] as ConfigOption<unknown>;
    const entry = merged.get(key);
    if (entry === undefined) {
      values[key] = option.resolveDefault(values);
      continue;
    }
    sources.set(key, entry.source);
    const parsed = option.type.schema.safeParse(entry.value);
    if (parsed.success) {
      values[key] = parsed.data;
    } else {
      failed.add(key);
      const reason = parsed.error.issues.map((issue) => issue.message).join('; ');
      const got = describeValue(key, entry.value);
      problems.push({
        key,
        source: entry.source,
        message: `invalid value ${got}: ${reason}; expected ${option.type.expected}`,
      });
    }
  }
  problems.push(...crossKeyProblems(values as ResolvedConfig, sources, failed));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: Object.freeze(values) as ResolvedConfig };
}

function unknownKeyProblem(entry: RawEntry): ConfigProblem {
  const near = suggestClosest(entry.key, KEYS);
  const hint = near === undefined ? '' : `; did you mean '${near}'?`;
  return { key: entry.key, source: entry.source, message: `unknown key${hint}` };
}

function crossKeyProblems(
  config: ResolvedConfig,
  sources: ReadonlyMap<string, string>,
  failed: ReadonlySet<string>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const rule of CROSS_KEY_CHECKS) {
    if (rule.keys.some((key) => failed.has(key))) continue;
    const message = rule.check(config);
    if (message === undefined) continue;
    const [first, ...others] = rule.keys;
    if (first === undefined) continue;
    // Name where every involved value came from: the fix may belong in any of them.
    const source = [
      sources.get(first) ?? 'default',
      ...others.map((key) => `${key} from ${sources.get(key) ?? 'default'}`),
    ].join('; ');
    problems.push({ key: first, source, message });
  }
  return problems;
}

/** The one-problem-per-line text of a `ConfigError`. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((p) => `  - ${p.key} (${p.source}): ${p.message}`);
  return [`invalid configuration (${count}):`, ...lines].join('\n');
}
