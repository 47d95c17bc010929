import type { JobSettings } from '../api/job-settings';
import type { ResolvedConfig } from '../config';
import type { CheckpointingMode } from './checkpointing-mode';

/** A job's checkpointing settings in effect: its own (`-D`, `enableCheckpointing`) over the cluster's. */
export interface CheckpointSettings {
  /** Checkpointing is on when an interval is set (Flink: `execution.checkpointing.interval`). */
  readonly enabled: boolean;
  readonly mode: CheckpointingMode;
  readonly intervalMs: number | undefined;
  readonly timeoutMs: number;
  readonly minPauseMs: number;
  readonly maxConcurrent: number;
  readonly tolerableFailures: number;
  readonly retained: number;
  readonly retention: 'delete-on-cancellation' | 'retain-on-cancellation';
}

export function checkpointSettingsFor(
  config: ResolvedConfig,
  job: Partial<Readonly<JobSettings>>,
): CheckpointSettings {
  const intervalMs = job.checkpointIntervalMs ?? config['execution.checkpointing.interval'];
  return {
    enabled: intervalMs !== undefined,
    mode: job.checkpointingMode ?? config['execution.checkpointing.mode'],
    intervalMs,
    timeoutMs: job.checkpointTimeoutMs ?? config['execution.checkpointing.timeout'],
    minPauseMs: job.checkpointMinPauseMs ?? config['execution.checkpointing.min-pause'],
    maxConcurrent:
      job.maxConcurrentCheckpoints ?? config['execution.checkpointing.max-concurrent-checkpoints'],
    tolerableFailures:
      job.tolerableFailedCheckpoints ?? config['execution.checkpointing.tolerable-failed-checkpoints'],
    retained: job.retainedCheckpoints ?? config['state.checkpoints.num-retained'],
    retention: job.checkpointRetention ?? config['execution.checkpointing.externalized-checkpoint-retention'],
  };
}
