import type {
  CheckpointSummaryStats,
  JobCheckpointConfig,
  JobCheckpointStats,
} from '../checkpoint/checkpoint-stats';
import type { RestClient } from '../client/rest-client';
import { NotFoundError } from '../errors';
import { formatBytes, formatDuration, formatTable, formatTime, truncate } from './format';

/** What `sluice info` shows of a job's checkpoints. */
export interface JobCheckpointInfo {
  readonly config: JobCheckpointConfig;
  readonly stats: JobCheckpointStats;
}

/**
 * The job's checkpoint statistics and config, or undefined when the job manager has no
 * checkpoint routes (an older one): `sluice info` then shows the rest without them. Called
 * right after the job itself was found, so a 404 here means the routes are missing.
 */
export async function fetchCheckpointInfo(
  client: RestClient,
  jobId: string,
): Promise<JobCheckpointInfo | undefined> {
  try {
    const [config, stats] = await Promise.all([
      client.checkpointConfig(jobId),
      client.checkpointStats(jobId),
    ]);
    return { config, stats };
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/**
 * `checkpoints  …` counts and settings, then a table of the latest completed, failed and
 * restored checkpoint (id, time, duration, size, location or cause); one line when disabled.
 */
export function formatCheckpointInfo({ config, stats }: JobCheckpointInfo): string {
  if (!config.enabled) return 'checkpoints  disabled';
  const { counts, latest } = stats;
  const every =
    config.intervalMs !== undefined ? `every ${formatDuration(config.intervalMs)}` : 'manual only';
  const header =
    `checkpoints  ${counts.completed} completed, ${counts.failed} failed, ${counts.inProgress} in progress, ` +
    `${counts.restored} restored (${every}, ${config.mode}, ${config.stateBackend} state)`;
  const row = (
    label: string,
    c: CheckpointSummaryStats | undefined,
    detail: (c: CheckpointSummaryStats) => string,
  ) =>
    c
      ? [
          [
            label,
            String(c.id),
            formatTime(c.triggerTimestamp),
            formatDuration(c.durationMs),
            formatBytes(c.stateSize),
            detail(c),
          ],
        ]
      : [];
  const rows = [
    ...row('completed', latest.completed, (c) => c.externalPath ?? '-'),
    ...row('failed', latest.failed, (c) => truncate(c.failureMessage ?? '-', 100)),
    ...(latest.restored
      ? [
          [
            'restored',
            String(latest.restored.id),
            formatTime(latest.restored.restoreTimestamp),
            '-',
            '-',
            latest.restored.externalPath,
          ],
        ]
      : []),
  ];
  if (rows.length === 0) return `${header}\nno checkpoint yet`;
  return `${header}\n${formatTable(['latest', 'id', 'time', 'duration', 'size', 'location or cause'], rows)}`;
}
