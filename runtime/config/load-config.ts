import path from 'node:path';
import { ConfigError } from '../errors';
import type { ConfigProblem } from '../errors';
import { readEnvironment, readOverrides, readYamlFile } from './config-sources';
import type { RawEntry } from './config-sources';
import { CONFIG_OPTIONS, RESERVED_ENV_VARS } from './options';
import type { ResolvedConfig } from './options';
import { formatProblems, resolveLayers } from './resolve-config';
import { buildEnvIndex } from './schema';

/**
 * Loading the configuration at a process's edge (docs/architecture.md §11). Precedence, lowest first:
 * defaults < YAML file < `SLUICE_*` environment variables < explicit overrides (CLI flags and
 * `-D key=value`). The result is validated once and frozen; pass it down, never re-read env.
 */

export interface LoadConfigOptions {
  /** YAML config file; relative to `cwd`. Falls back to `SLUICE_CONFIG`; no file when neither is set. */
  file?: string;
  /** Environment to read `SLUICE_*` variables from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Highest-precedence values by dotted key (CLI flags, `-D` pairs); undefined/null values are ignored. */
  overrides?: Record<string, unknown>;
  /** Directory a relative `file` is resolved against; defaults to `process.cwd()`. */
  cwd?: string;
}

const OVERRIDE_SOURCE = 'override';
const BASE_SOURCE = 'base config';

/** The layers each config was resolved from, so `withOverrides` can re-derive defaults. */
const layersOf = new WeakMap<ResolvedConfig, readonly (readonly RawEntry[])[]>();

let envIndex: ReadonlyMap<string, string> | undefined;

/** Env name → key, built once; throws if two keys (or a key and a reserved name) collide. */
function configEnvIndex(): ReadonlyMap<string, string> {
  envIndex ??= buildEnvIndex(Object.keys(CONFIG_OPTIONS), RESERVED_ENV_VARS);
  return envIndex;
}

/**
 * Reads, merges and validates every source.
 * @throws ConfigError listing every problem: unknown keys (with a suggestion), invalid values
 *   (naming key, source and what was expected), a missing or malformed file, cross-key rules.
 */
export function loadConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const index = configEnvIndex();
  const layers: RawEntry[][] = [];
  const problems: ConfigProblem[] = [];
  const file = options.file ?? (env.SLUICE_CONFIG === '' ? undefined : env.SLUICE_CONFIG);
  if (file !== undefined) {
    const read = readYamlFile(path.resolve(cwd, file));
    layers.push(read.entries);
    problems.push(...read.problems);
  }
  const fromEnv = readEnvironment(env, index, RESERVED_ENV_VARS);
  layers.push(fromEnv.entries);
  problems.push(...fromEnv.problems);
  layers.push(readOverrides(options.overrides ?? {}, OVERRIDE_SOURCE));
  return resolveOrThrow(layers, problems);
}

/** The defaults alone, ignoring files and the environment. */
export function defaultConfig(): ResolvedConfig {
  return resolveOrThrow([], []);
}

/**
 * A new frozen config with `overrides` applied on top of `config`'s sources, validated again.
 * Defaults derived from other keys follow the change (more slots → more cpu cores) unless the
 * derived key was set explicitly. `config` itself is unchanged.
 * @throws ConfigError as `loadConfig` does.
 */
export function withOverrides(config: ResolvedConfig, overrides: Record<string, unknown>): ResolvedConfig {
  const base = layersOf.get(config) ?? [entriesOf(config)];
  return resolveOrThrow([...base, readOverrides(overrides, OVERRIDE_SOURCE)], []);
}

/**
 * True when `key` was given a value by some source (file, environment, override) rather than
 * left at its default. A config that did not come from `loadConfig` counts every key as set.
 */
export function isExplicitlySet(config: ResolvedConfig, key: string): boolean {
  const layers = layersOf.get(config);
  return layers === undefined || layers.some((layer) => layer.some((e) => e.key === key && e.value != null));
}

/** A config that did not come from `loadConfig` (e.g. a structured clone): every value counts as set. */
function entriesOf(config: ResolvedConfig): RawEntry[] {
  return Object.entries(config).map(([key, value]) => ({ key, value, source: BASE_SOURCE }));
}

function resolveOrThrow(
  layers: readonly (readonly RawEntry[])[],
  earlier: readonly ConfigProblem[],
): ResolvedConfig {
  const result = resolveLayers(layers);
  const problems = [...earlier, ...(result.ok ? [] : result.problems)];
  if (problems.length > 0 || !result.ok) throw new ConfigError(formatProblems(problems), problems);
  layersOf.set(result.config, layers);
  return result.config;
}

/**
 * Parses `-D key=value` arguments into an overrides record (split at the first `=`; the last
 * of repeated keys wins). Keys are checked later by `loadConfig`, with suggestions.
 * @throws ConfigError listing every argument without a key.
 */
export function parseDynamicProperties(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? '' : arg.slice(0, eq).trim();
    if (key === '') {
      // Show only the part before '=': the value may be a secret.
      const shown = eq < 0 ? arg : '(empty)';
      problems.push({ key: shown, source: '-D', message: 'expected key=value' });
      continue;
    }
    out[key] = arg.slice(eq + 1);
  }
  if (problems.length > 0) throw new ConfigError(formatProblems(problems), problems);
  return out;
}
