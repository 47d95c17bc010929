import { api } from '../api';
import { Card, PollState } from '../components';
import { formatBytes, formatTime } from '../format';
import { usePoll } from '../poll';
import { href } from '../router';
import type { SavepointDetails, SavepointSummary } from '../types';

/** A savepoint never changes once written: its details are asked for once a minute at most. */
const DETAILS_REFRESH_MS = 60_000;

/**
 * Every savepoint in the store (`GET /savepoints`, newest first); a click shows what its
 * `_metadata` says (`GET /savepoints/details?path=`): operators, their subtasks and state sizes.
 * The selected savepoint's location is in the URL, so a details view can be linked.
 */
export function SavepointsPage({ refreshMs, selected }: { refreshMs: number; selected?: string }) {
  const polled = usePoll(
    () => api<{ savepoints: SavepointSummary[] }>('/savepoints'),
    refreshMs,
    'savepoints',
  );
  const savepoints = polled.data?.savepoints ?? [];
  return (
    <div>
      <h1>Savepoints</h1>
      <PollState polled={polled} what="the savepoints" />
      {polled.data && (
        <Card title={`Savepoints (${savepoints.length})`}>
          <SavepointTable savepoints={savepoints} selected={selected} />
        </Card>
      )}
      {selected !== undefined && <SavepointDetailsCard location={selected} />}
    </div>
  );
}

function SavepointTable(props: { savepoints: readonly SavepointSummary[]; selected?: string }) {
  if (props.savepoints.length === 0)
    return (
      <div class="muted" data-testid="savepoints-empty">
        No savepoints yet: take one with the Savepoint button of a running job that checkpoints.
      </div>
    );
  return (
    <table class="table" data-testid="savepoint-table">
      <thead>
        <tr>
          <th>Job</th>
          <th>Completed</th>
          <th>Trigger</th>
          <th class="right">Checkpoint</th>
          <th class="right">Size</th>
          <th>Location</th>
        </tr>
      </thead>
      <tbody>
        {props.savepoints.map((s) => (
          <tr
            key={s.location}
            class={`clickable${s.location === props.selected ? ' selected' : ''}`}
            data-testid="savepoint-row"
            data-location={s.location}
            onClick={() => {
              window.location.hash = href('savepoints', s.location);
            }}
          >
            <td>
              {s.jobName}
              <div class="muted mono small">{s.jobId}</div>
            </td>
            <td>{formatTime(s.timestamp)}</td>
            <td>{s.trigger}</td>
            <td class="right">{s.checkpointId}</td>
            <td class="right">{formatBytes(s.stateSize)}</td>
            <td class="mono small">{s.location}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SavepointDetailsCard({ location }: { location: string }) {
  const details = usePoll(
    () => api<SavepointDetails>(`/savepoints/details?path=${encodeURIComponent(location)}`),
    DETAILS_REFRESH_MS,
    `savepoint-${location}`,
  );
  const d = details.data;
  return (
    <Card title="Savepoint details">
      <PollState polled={details} what="the savepoint" />
      {d && (
        <div data-testid="savepoint-details">
          <dl class="kv" data-testid="savepoint-facts">
            <dt>location</dt>
            <dd class="mono">{d.location}</dd>
            <dt>job</dt>
            <dd>
              {d.jobName} <span class="mono muted">{d.jobId}</span>
            </dd>
            <dt>checkpoint</dt>
            <dd>{d.checkpointId}</dd>
            <dt>trigger</dt>
            <dd>{d.trigger}</dd>
            <dt>triggered</dt>
            <dd>{formatTime(d.triggerTimestamp)}</dd>
            <dt>completed</dt>
            <dd>{formatTime(d.timestamp)}</dd>
            <dt>mode</dt>
            <dd>{d.mode}</dd>
            <dt>state size</dt>
            <dd>{formatBytes(d.stateSize)}</dd>
          </dl>
          <h2 class="section-title">Operators ({d.operators.length})</h2>
          <OperatorTable operators={d.operators} />
        </div>
      )}
    </Card>
  );
}

function OperatorTable({ operators }: { operators: SavepointDetails['operators'] }) {
  if (operators.length === 0) return <div class="muted">No operator state.</div>;
  return (
    <table class="table" data-testid="savepoint-operators">
      <thead>
        <tr>
          <th>Operator</th>
          <th>Id / uid</th>
          <th>States</th>
          <th class="right">Parallelism</th>
          <th class="right">Keyed state</th>
          <th class="right">Operator state</th>
          <th>Subtasks with state</th>
        </tr>
      </thead>
      <tbody>
        {operators.map((op) => (
          <tr key={op.id} data-testid="savepoint-operator" data-operator={op.name}>
            <td>{op.name}</td>
            <td class="mono small">{op.uid ?? op.id}</td>
            <td class="mono small" data-testid="savepoint-operator-states">
              {[...(op.keyedStates ?? []), ...(op.operatorStates ?? []).map((n) => `${n} (operator)`)].join(
                ', ',
              ) || '–'}
            </td>
            <td class="right">
              {op.parallelism} <span class="muted">/ {op.maxParallelism}</span>
            </td>
            <td class="right">{formatBytes(op.keyedStateSize)}</td>
            <td class="right">{formatBytes(op.operatorStateSize)}</td>
            <td class="small">
              {op.subtasks.map((s) => (
                <div key={s.subtask}>
                  #{s.subtask}
                  {s.keyGroups && ` key groups ${s.keyGroups.start}–${s.keyGroups.end}`}
                  {s.keyedBytes !== undefined && ` keyed ${formatBytes(s.keyedBytes)}`}
                  {s.operatorBytes !== undefined && ` operator ${formatBytes(s.operatorBytes)}`}
                </div>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
