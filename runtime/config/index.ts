/** Sluice configuration: one schema, loaded and validated once at a process's edge (docs/architecture.md §11). */
export {
  loadConfig,
  defaultConfig,
  withOverrides,
  parseDynamicProperties,
  isExplicitlySet,
} from './load-config';
export type { LoadConfigOptions } from './load-config';
export { CONFIG_OPTIONS, RESERVED_ENV_VARS } from './options';
export type { ConfigKey, ResolvedConfig } from './options';
export { envNameForKey } from './schema';
export { redactConfig } from './redact';
export { ConfigError } from '../errors';
export type { ConfigProblem } from '../errors';
