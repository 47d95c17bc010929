import { CONFIG_OPTIONS } from './options';
import type { ConfigKey, ResolvedConfig } from './options';

/** What is shown in place of a secret. */
export const MASK = '***';

const URL_PASSWORD = /(\/\/[^/@:\s]*:)[^@/\s]*@/g;

/** Hides the password of any `scheme://user:password@host` inside a string. */
export function maskUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, `$1${MASK}@`);
}

function isSecret(key: string): boolean {
  const options = CONFIG_OPTIONS as Record<string, { secret: boolean }>;
  return Object.hasOwn(options, key) && options[key]?.secret === true;
}

/**
 * Renders a raw value for an error message: secrets as `***`, URL passwords masked, long
 * strings cut, maps and lists named rather than dumped (they may hold anything).
 */
export function describeValue(key: string, value: unknown): string {
  if (isSecret(key)) return MASK;
  if (typeof value === 'string') {
    const shown = maskUrlPasswords(value);
    return `'${shown.length > 80 ? `${shown.slice(0, 77)}...` : shown}'`;
  }
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a map';
  return String(value);
}

/** A copy of the config that is safe to log: secrets masked, URL passwords hidden. */
export function redactConfig(config: ResolvedConfig): Record<ConfigKey, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) out[key] = undefined;
    else if (isSecret(key)) out[key] = MASK;
    else out[key] = typeof value === 'string' ? maskUrlPasswords(value) : value;
  }
  return out as Record<ConfigKey, unknown>;
}
