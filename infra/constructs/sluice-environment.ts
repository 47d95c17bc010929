/** The ports a Sluice container listens on (docs/architecture.md §1, §11). */
export const SLUICE_PORTS = Object.freeze({
  /** JobManager REST API and dashboard; `/livez` and `/healthz` answer without a token. */
  rest: 8081,
  /** TaskManager data port: one multiplexed exchange connection per TaskManager pair. */
  data: 6121,
  /** JobManager RPC port: TaskManagers' control connection to the leader. */
  rpc: 6123,
  redis: 6379,
});

/**
 * Turns a dotted Sluice config key into its environment variable, the same rule the config
 * loader applies in reverse: `SLUICE_` + upper case, with `.` and `-` as `_`
 * (`high-availability.redis.url` → `SLUICE_HIGH_AVAILABILITY_REDIS_URL`).
 */
export function sluiceEnvName(configKey: string): string {
  return `SLUICE_${configKey.replace(/[.-]/g, '_').toUpperCase()}`;
}

/** Builds a container environment from config keys, so every name follows one rule. */
export function sluiceEnvironment(config: Record<string, string | number>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) env[sluiceEnvName(key)] = String(value);
  return env;
}
