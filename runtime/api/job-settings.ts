import { InvalidJobError } from '../errors';

/** Job-level settings a job may change in `build` (from config keys of the same meaning). */
export interface JobSettings {
  /** `parallelism.default` */
  parallelism: number;
  /** `pipeline.max-parallelism`: number of key groups. */
  maxParallelism: number;
  /** `pipeline.operator-chaining` */
  chaining: boolean;
  /** `pipeline.two-input-chaining`: a two-input operator may sit inside a chain. */
  twoInputChaining: boolean;
  /** `execution.buffer-timeout`: 0 flushes after every record. */
  bufferTimeoutMs: number;
  /** `execution.exchange`: transport between TaskManagers for this job; unset = the cluster's default. */
  exchange?: 'tcp' | 'sqs';
  /**
   * `restart-strategy.*` keys given to `sluice run` (-D, --config): the job manager applies
   * them on top of its own for this job only. Unset = the cluster's restart strategy.
   */
  restartStrategy?: Readonly<Record<string, string | number | boolean>>;
  /** `state.backend`: where this job's keyed state lives; unset = the TaskManagers' default. */
  stateBackend?: 'heap' | 'kv';
  // Checkpointing (`execution.checkpointing.*`, `state.checkpoints.num-retained`): unset = the
  // cluster's value. An interval (or `enableCheckpointing`) turns checkpointing on.
  /** `execution.checkpointing.interval` */
  checkpointIntervalMs?: number;
  /** `execution.checkpointing.mode` */
  checkpointingMode?: 'exactly-once' | 'at-least-once';
  /** `execution.checkpointing.timeout` */
  checkpointTimeoutMs?: number;
  /** `execution.checkpointing.min-pause` */
  checkpointMinPauseMs?: number;
  /** `execution.checkpointing.max-concurrent-checkpoints` */
  maxConcurrentCheckpoints?: number;
  /** `execution.checkpointing.tolerable-failed-checkpoints` */
  tolerableFailedCheckpoints?: number;
  /** `execution.checkpointing.externalized-checkpoint-retention` */
  checkpointRetention?: 'delete-on-cancellation' | 'retain-on-cancellation';
  /** `state.checkpoints.num-retained` */
  retainedCheckpoints?: number;
  /** How often watermark generators emit (Flink's `pipeline.auto-watermark-interval`); default 200 ms. */
  autoWatermarkIntervalMs?: number;
}

export const DEFAULT_AUTO_WATERMARK_INTERVAL_MS = 200;

export const DEFAULT_JOB_SETTINGS: Readonly<JobSettings> = Object.freeze({
  parallelism: 1,
  maxParallelism: 128,
  chaining: true,
  twoInputChaining: true,
  bufferTimeoutMs: 100,
});

export const MAX_MAX_PARALLELISM = 32768;

export function checkParallelism(parallelism: number, what: string): number {
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new InvalidJobError(`${what}: parallelism must be an integer >= 1, got ${parallelism}`);
  }
  return parallelism;
}

export function checkMaxParallelism(maxParallelism: number, what: string): number {
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > MAX_MAX_PARALLELISM) {
    throw new InvalidJobError(
      `${what}: max parallelism must be an integer in 1..${MAX_MAX_PARALLELISM}, got ${maxParallelism}`,
    );
  }
  return maxParallelism;
}
