import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Card, PollState, Stat, StatusBadge } from '../components';
import { formatBytes, formatDuration, formatTime } from '../format';
import { usePoll } from '../poll';
import type {
  CheckpointDetails,
  CheckpointSummary,
  JobCheckpointConfig,
  JobCheckpointStats,
  JobDetails,
} from '../types';

/** Settings change only with a new job: asked for once a minute at most. */
const CONFIG_REFRESH_MS = 60_000;

/**
 * The checkpoints tab (Flink's): counts, the latest completed / failed / restored checkpoint,
 * the history (a click shows a checkpoint's per-subtask acknowledgements) and the settings.
 */
export function CheckpointsTab({ job, refreshMs }: { job: JobDetails; refreshMs: number }) {
  const base = `/jobs/${encodeURIComponent(job.jobId)}/checkpoints`;
  const config = usePoll(
    () => api<JobCheckpointConfig>(`${base}/config`),
    CONFIG_REFRESH_MS,
    `ckpt-config-${job.jobId}`,
  );
  const stats = usePoll(() => api<JobCheckpointStats>(base), refreshMs, `ckpt-stats-${job.jobId}`);
  const [selected, setSelected] = useState<number | undefined>();
  // A job manager may answer a job without checkpoint settings with 404 rather than `enabled: false`.
  const disabled = config.data ? !config.data.enabled : config.error?.status === 404;
  if (disabled) {
    return (
      <Card title="Checkpoints">
        <div class="muted" data-testid="checkpoints-disabled">
          This job does not checkpoint (enable it with{' '}
          <span class="mono">env.enableCheckpointing(intervalMs)</span>).
        </div>
      </Card>
    );
  }
  return (
    <div data-testid="checkpoints-tab">
      <PollState polled={stats} what="the checkpoints" />
      {stats.data && <CheckpointCounts stats={stats.data} />}
      {stats.data && <LatestCheckpoints stats={stats.data} />}
      {stats.data && (
        <CheckpointHistory history={stats.data.history} selected={selected} onSelect={setSelected} />
      )}
      {selected !== undefined && (
        <CheckpointDetailsCard job={job} checkpointId={selected} refreshMs={refreshMs} />
      )}
      <PollState polled={config} what="the checkpoint settings" />
      {config.data && <CheckpointConfigCard config={config.data} />}
    </div>
  );
}

function CheckpointCounts({ stats }: { stats: JobCheckpointStats }) {
  const { counts } = stats;
  return (
    <div class="stats">
      <Stat label="completed" value={counts.completed} testId="ckpt-completed" />
      <Stat label="failed" value={counts.failed} testId="ckpt-failed" />
      <Stat label="in progress" value={counts.inProgress} testId="ckpt-in-progress" />
      <Stat label="restored" value={counts.restored} testId="ckpt-restored" />
      <Stat label="triggered" value={counts.total} testId="ckpt-total" />
    </div>
  );
}

function LatestCheckpoints({ stats }: { stats: JobCheckpointStats }) {
  const { completed, failed, restored } = stats.latest;
  if (!completed && !failed && !restored) {
    return (
      <Card title="Latest">
        <div class="muted">No checkpoint yet.</div>
      </Card>
    );
  }
  return (
    <Card title="Latest">
      <table class="table" data-testid="ckpt-latest">
        <thead>
          <tr>
            <th></th>
            <th>ID</th>
            <th>Time</th>
            <th class="right">Duration</th>
            <th class="right">Size</th>
            <th>Location or cause</th>
          </tr>
        </thead>
        <tbody>
          {completed && (
            <tr data-testid="ckpt-latest-completed">
              <td>completed</td>
              <td>{completed.id}</td>
              <td>{formatTime(completed.triggerTimestamp)}</td>
              <td class="right">{formatDuration(completed.durationMs)}</td>
              <td class="right">{formatBytes(completed.stateSize)}</td>
              <td class="mono small">{completed.externalPath ?? '–'}</td>
            </tr>
          )}
          {failed && (
            <tr data-testid="ckpt-latest-failed">
              <td>failed</td>
              <td>{failed.id}</td>
              <td>{formatTime(failed.triggerTimestamp)}</td>
              <td class="right">{formatDuration(failed.durationMs)}</td>
              <td class="right">{formatBytes(failed.stateSize)}</td>
              <td>{failed.failureMessage ?? '–'}</td>
            </tr>
          )}
          {restored && (
            <tr data-testid="ckpt-latest-restored">
              <td>restored{restored.isSavepoint ? ' (savepoint)' : ''}</td>
              <td>{restored.id}</td>
              <td>{formatTime(restored.restoreTimestamp)}</td>
              <td class="right">–</td>
              <td class="right">–</td>
              <td class="mono small">{restored.externalPath}</td>
            </tr>
          )}
        </tbody>
      </table>
    </Card>
  );
}

function CheckpointHistory(props: {
  history: readonly CheckpointSummary[];
  selected: number | undefined;
  onSelect: (id: number) => void;
}) {
  return (
    <Card title="History">
      {props.history.length === 0 && <div class="muted">No checkpoint yet.</div>}
      {props.history.length > 0 && (
        <table class="table" data-testid="ckpt-history">
          <thead>
            <tr>
              <th>ID</th>
              <th>Status</th>
              <th>Trigger</th>
              <th>Triggered</th>
              <th class="right">Duration</th>
              <th class="right">Size</th>
              <th class="right">Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {props.history.map((c) => (
              <tr
                key={c.id}
                data-testid="ckpt-row"
                data-checkpoint-id={c.id}
                class={`clickable${c.id === props.selected ? ' selected' : ''}`}
                title={c.failureMessage ?? c.externalPath ?? ''}
                onClick={() => props.onSelect(c.id)}
              >
                <td>{c.id}</td>
                <td>
                  <StatusBadge status={c.status} />
                </td>
                <td>{c.trigger}</td>
                <td>{formatTime(c.triggerTimestamp)}</td>
                <td class="right">{formatDuration(c.durationMs)}</td>
                <td class="right">{formatBytes(c.stateSize)}</td>
                <td class="right">
                  {c.acknowledgedSubtasks}/{c.totalSubtasks}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function CheckpointDetailsCard(props: { job: JobDetails; checkpointId: number; refreshMs: number }) {
  const { job, checkpointId } = props;
  const polled = usePoll(
    () =>
      api<CheckpointDetails>(
        `/jobs/${encodeURIComponent(job.jobId)}/checkpoints/details/${encodeURIComponent(String(checkpointId))}`,
      ),
    props.refreshMs,
    `ckpt-${job.jobId}-${checkpointId}`,
  );
  const names = new Map(job.vertices.map((v) => [v.id, v.name]));
  const details = polled.data;
  return (
    <Card title={`Checkpoint ${checkpointId}`}>
      <PollState polled={polled} what={`checkpoint ${checkpointId}`} />
      {details?.failureMessage && <div class="error-banner">{details.failureMessage}</div>}
      {details?.externalPath && (
        <div class="facts">
          <span>
            <b>location</b> <span class="mono small">{details.externalPath}</span>
          </span>
        </div>
      )}
      {details && (
        <table class="table" data-testid="ckpt-subtasks">
          <thead>
            <tr>
              <th>Vertex</th>
              <th>#</th>
              <th>Acknowledged</th>
              <th class="right">Size</th>
              <th class="right">Alignment</th>
              <th class="right">Sync</th>
              <th class="right">Async</th>
              <th class="right">Upload</th>
            </tr>
          </thead>
          <tbody>
            {details.subtasks.map((s) => (
              <tr key={`${s.vertexId}/${s.subtask}`} data-testid="ckpt-subtask-row">
                <td>{names.get(s.vertexId) ?? s.vertexId}</td>
                <td>{s.subtask + 1}</td>
                <td>{s.ackTimestamp ? formatTime(s.ackTimestamp) : <span class="muted">pending</span>}</td>
                <td class="right">{formatBytes(s.stateSize)}</td>
                <td class="right">{formatDuration(s.alignmentMs)}</td>
                <td class="right">{formatDuration(s.syncMs)}</td>
                <td class="right">{formatDuration(s.asyncMs)}</td>
                <td class="right">{formatDuration(s.uploadMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function CheckpointConfigCard({ config }: { config: JobCheckpointConfig }) {
  const rows: [string, string][] = [
    ['mode', config.mode],
    ['interval', config.intervalMs !== undefined ? formatDuration(config.intervalMs) : 'off (manual only)'],
    ['timeout', formatDuration(config.timeoutMs)],
    ['min pause between checkpoints', formatDuration(config.minPauseMs)],
    ['max concurrent checkpoints', String(config.maxConcurrent)],
    ['tolerable failed checkpoints', String(config.tolerableFailures)],
    ['retained checkpoints', String(config.retainedCheckpoints)],
    ['externalization', config.externalization],
    ['state backend', config.stateBackend],
    ['storage', config.checkpointStorage],
  ];
  return (
    <Card title="Settings">
      <dl class="kv" data-testid="ckpt-config">
        {rows.map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd class={k === 'storage' ? 'mono small' : ''}>{v}</dd>
          </Fragment>
        ))}
      </dl>
    </Card>
  );
}
