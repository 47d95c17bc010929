import { ConfigError } from '../errors';
import type { OptionType } from './option-types';

/**
 * The machinery for declaring config keys. Every key is declared once (see `options.ts`) with
 * its type, default and a one-line description; loading, validation, env names and the docs
 * table are all derived from those declarations.
 */

/** The values resolved so far, in declaration order; what a derived default may look at. */
export type PartialValues = Readonly<Record<string, unknown>>;

export interface ConfigOption<T> {
  readonly type: OptionType<T>;
  /** One line for the docs table. */
  readonly description: string;
  /** Secrets are never echoed: errors and `redactConfig` show `***` instead of the value. */
  readonly secret: boolean;
  /** Markdown for the default column of the docs table; machine-independent ("number of CPUs"). */
  readonly defaultDoc: string;
  /** The default; gets the keys declared before this one, already resolved. */
  resolveDefault(resolved: PartialValues): T;
}

interface OptionSpecBase<T> {
  type: OptionType<T>;
  description: string;
  secret?: boolean;
}

/** A fixed default, or one computed at load time (then `defaultDoc` must say what it is). */
export type OptionSpec<T> = OptionSpecBase<T> &
  (
    | { default: NoInfer<T>; defaultDoc?: string }
    | { deriveDefault: (resolved: PartialValues) => NoInfer<T>; defaultDoc: string }
  );

export function defineOption<T>(spec: OptionSpec<T>): ConfigOption<T> {
  const base = { type: spec.type, description: spec.description, secret: spec.secret ?? false };
  if ('deriveDefault' in spec) {
    const derive = spec.deriveDefault;
    return { ...base, defaultDoc: spec.defaultDoc, resolveDefault: (resolved) => derive(resolved) };
  }
  const value = spec.default;
  // A secret's default never reaches the docs, whatever the declaration says.
  const shown = spec.secret && value !== undefined ? '(secret)' : undefined;
  const doc = shown ?? spec.defaultDoc ?? (value === undefined ? '(none)' : `\`${spec.type.format(value)}\``);
  return { ...base, defaultDoc: doc, resolveDefault: () => value };
}

export type OptionsRecord = Readonly<Record<string, ConfigOption<unknown>>>;

/** The resolved values of a set of declarations, keyed by the dotted names. */
export type ConfigValues<O extends OptionsRecord> = {
  readonly [K in keyof O]: O[K] extends ConfigOption<infer T> ? T : never;
};

/**
 * A rule spanning several keys. It runs after every key is parsed, and only when all of its
 * `keys` parsed cleanly, so its message can rely on their values.
 */
export interface CrossKeyCheck<C> {
  /** The keys the rule reads; the first one is the key the problem is reported against. */
  readonly keys: readonly (keyof C & string)[];
  /** Returns why the combination is invalid, or undefined when it is fine. */
  check(config: C): string | undefined;
}

/** `rest.port` → `SLUICE_REST_PORT`, `taskmanager.numberOfTaskSlots` → `SLUICE_TASKMANAGER_NUMBEROFTASKSLOTS`. */
export function envNameForKey(key: string): string {
  return `SLUICE_${key.toUpperCase().replace(/[.-]/g, '_')}`;
}

/**
 * Maps env names back to keys. Throws when two keys share an env name or a key collides with
 * a reserved variable, because then an environment variable could not say which key it sets.
 */
export function buildEnvIndex(
  keys: readonly string[],
  reserved: readonly string[],
): ReadonlyMap<string, string> {
  const index = new Map<string, string>();
  for (const key of keys) {
    const name = envNameForKey(key);
    const clash = index.get(name) ?? (reserved.includes(name) ? `the reserved variable ${name}` : undefined);
    if (clash !== undefined) {
      throw new ConfigError(`config keys are ambiguous: '${key}' and ${quoteKey(clash)} both map to ${name}`);
    }
    index.set(name, key);
  }
  return index;
}

function quoteKey(keyOrText: string): string {
  return keyOrText.startsWith('the reserved') ? keyOrText : `'${keyOrText}'`;
}
