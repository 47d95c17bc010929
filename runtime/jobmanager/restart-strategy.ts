import type { JobSettings } from '../api/job-settings';
import type { ResolvedConfig } from '../config';
import { isExplicitlySet, withOverrides } from '../config';
import { BadRequestError, ConfigError } from '../errors';

/**
 * Decides whether and when a failed job restarts (Flink's restart strategies). One instance
 * per job; `onFailure` is called once per failure with the current time.
 */
export interface RestartStrategy {
  readonly description: string;
  /** The delay before restarting, or undefined when the job must fail. */
  onFailure(now: number): number | undefined;
}

export function createRestartStrategy(config: ResolvedConfig): RestartStrategy {
  switch (config['restart-strategy.type']) {
    case 'none':
      return { description: 'no restarts', onFailure: () => undefined };
    case 'fixed-delay':
      return fixedDelay(
        config['restart-strategy.fixed-delay.attempts'],
        config['restart-strategy.fixed-delay.delay'],
      );
    case 'exponential-delay':
      return exponentialDelay(
        config['restart-strategy.exponential-delay.initial-backoff'],
        config['restart-strategy.exponential-delay.max-backoff'],
        config['restart-strategy.exponential-delay.backoff-multiplier'],
        config['restart-strategy.exponential-delay.attempts'],
      );
    case 'failure-rate':
      return failureRate(
        config['restart-strategy.failure-rate.max-failures-per-interval'],
        config['restart-strategy.failure-rate.failure-rate-interval'],
        config['restart-strategy.failure-rate.delay'],
      );
  }
}

export function fixedDelay(attempts: number, delayMs: number): RestartStrategy {
  let used = 0;
  return {
    description: `fixed delay: ${attempts} attempts, ${delayMs} ms apart`,
    onFailure: () => (used++ < attempts ? delayMs : undefined),
  };
}

export function exponentialDelay(
  initialMs: number,
  maxMs: number,
  multiplier: number,
  attempts: number,
): RestartStrategy {
  let used = 0;
  let next = initialMs;
  return {
    description: `exponential delay: ${initialMs} ms doubling by ${multiplier} up to ${maxMs} ms, ${attempts} attempts`,
    onFailure: () => {
      if (used++ >= attempts) return undefined;
      const delay = next;
      next = Math.min(maxMs, next * multiplier);
      return delay;
    },
  };
}

export function failureRate(maxFailures: number, intervalMs: number, delayMs: number): RestartStrategy {
  const failures: number[] = [];
  return {
    description: `failure rate: at most ${maxFailures} failures per ${intervalMs} ms, ${delayMs} ms apart`,
    onFailure: (now) => {
      failures.push(now);
      while (failures.length > 0 && failures[0]! <= now - intervalMs) failures.shift();
      return failures.length > maxFailures ? undefined : delayMs;
    },
  };
}

/**
 * The job's restart strategy: the cluster's config with the job's own `restart-strategy.*`
 * keys on top; with checkpointing on and no `restart-strategy.type` set anywhere, Flink's
 * default for checkpointed jobs: fixed delay (`restart-strategy.fixed-delay.delay`), unlimited
 * attempts.
 */
export function restartStrategyForJob(
  config: ResolvedConfig,
  settings: Pick<Partial<JobSettings>, 'restartStrategy'>,
  checkpointing: boolean,
): RestartStrategy {
  const effective = withJobRestartStrategy(config, settings);
  if (checkpointing && !isExplicitlySet(effective, 'restart-strategy.type'))
    return fixedDelay(Number.POSITIVE_INFINITY, effective['restart-strategy.fixed-delay.delay']);
  return createRestartStrategy(effective);
}

/** The cluster's config with the job's own `restart-strategy.*` keys (from `sluice run -D`) on top. */
export function withJobRestartStrategy(
  config: ResolvedConfig,
  settings: Pick<Partial<JobSettings>, 'restartStrategy'>,
): ResolvedConfig {
  if (!settings.restartStrategy) return config;
  try {
    return withOverrides(config, settings.restartStrategy);
  } catch (err) {
    if (err instanceof ConfigError) throw new BadRequestError(`the job's restart strategy: ${err.message}`);
    throw err;
  }
}
