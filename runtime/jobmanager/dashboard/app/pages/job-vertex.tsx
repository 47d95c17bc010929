import { Card, StatusBadge } from '../components';
import { formatCount, formatPercent, formatRate, formatWatermark } from '../format';
import { href } from '../router';
import type { SubtaskDetails, VertexDetails } from '../types';

/** One vertex (a chain) of the job graph: its facts, its operators and its subtasks. */
const KNOWN_SUBTASK_FIELDS = new Set([
  'subtask',
  'state',
  'attempt',
  'taskManagerId',
  'host',
  'recordsIn',
  'recordsOut',
  'backPressureRatio',
  'backPressuredMs',
  'operators',
]);

/** The subtask's current input watermark: the lowest among its operators that have one. */
function subtaskInputWatermark(s: SubtaskDetails): number | undefined {
  const operators = Array.isArray(s.operators) ? (s.operators as { currentInputWatermark?: unknown }[]) : [];
  const values = operators.flatMap((o) =>
    typeof o.currentInputWatermark === 'number' ? [o.currentInputWatermark] : [],
  );
  return values.length > 0 ? Math.min(...values) : undefined;
}

/** Fields newer job managers add to a subtask (busy time, per-operator metrics…), shown as they come. */
function extraFields(obj: Readonly<Record<string, unknown>>, known: ReadonlySet<string>): [string, string][] {
  return Object.entries(obj)
    .filter(([k, v]) => !known.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => [
      k,
      typeof v === 'number' ? formatCount(v) : typeof v === 'string' ? v : JSON.stringify(v),
    ]);
}

export function VertexCard({
  vertex,
  rates,
}: {
  vertex: VertexDetails;
  rates: ReadonlyMap<string, { in?: number; out?: number }>;
}) {
  const extras = extraFields(vertex, KNOWN_VERTEX_FIELDS);
  return (
    <Card title={vertex.name}>
      <div class="facts">
        <span>
          <b>status</b> <StatusBadge status={vertex.status} />
        </span>
        <span>
          <b>parallelism</b> {vertex.parallelism}
        </span>
        <span>
          <b>slot sharing group</b> {vertex.slotSharingGroup}
        </span>
        <span>
          <b>back pressure</b>{' '}
          <span class={`bp-cell bp-${vertex.backPressure.level}`}>
            {vertex.backPressure.level} ({formatPercent(vertex.backPressure.ratio)})
          </span>
        </span>
        {extras.map(([k, v]) => (
          <span key={k}>
            <b>{k}</b> <span class="mono small">{v}</span>
          </span>
        ))}
      </div>
      {Array.isArray(vertex.operators) && <OperatorTable operators={vertex.operators as OperatorMetrics[]} />}
      <table class="table" data-testid="subtask-table">
        <thead>
          <tr>
            <th>#</th>
            <th>Status</th>
            <th>TaskManager</th>
            <th class="right">Records in</th>
            <th class="right">Records out</th>
            <th class="right">In/s</th>
            <th class="right">Out/s</th>
            <th>Back pressure</th>
            <th>Watermark</th>
            <th>Other</th>
          </tr>
        </thead>
        <tbody>
          {vertex.subtasks.map((s) => {
            const r = rates.get(`${vertex.id}/${s.subtask}`);
            const level = s.backPressureRatio > 0.5 ? 'high' : s.backPressureRatio > 0.1 ? 'low' : 'ok';
            return (
              <tr key={s.subtask} data-testid="subtask-row">
                <td>{s.subtask + 1}</td>
                <td>
                  <StatusBadge status={s.state} />
                </td>
                <td class="mono small">
                  {s.taskManagerId ? (
                    <a href={href('taskmanagers', s.taskManagerId)}>{s.taskManagerId}</a>
                  ) : (
                    '–'
                  )}
                </td>
                <td class="right" data-testid="subtask-records-in">
                  {formatCount(s.recordsIn)}
                </td>
                <td class="right" data-testid="subtask-records-out">
                  {formatCount(s.recordsOut)}
                </td>
                <td class="right">{formatRate(r?.in)}</td>
                <td class="right">{formatRate(r?.out)}</td>
                <td>
                  <span class={`bp-cell bp-${level}`}>{formatPercent(s.backPressureRatio)}</span>
                </td>
                <td class="mono small" data-testid="subtask-watermark">
                  {formatWatermark(subtaskInputWatermark(s))}
                </td>
                <td class="small">
                  {extraFields(s, KNOWN_SUBTASK_FIELDS)
                    .map(([k, v]) => `${k}: ${v}`)
                    .join(' · ')}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Card>
  );
}

const KNOWN_VERTEX_FIELDS = new Set([
  'id',
  'name',
  'parallelism',
  'slotSharingGroup',
  'status',
  'recordsIn',
  'recordsOut',
  'backPressure',
  'subtasks',
  'operators',
]);

interface OperatorMetrics {
  readonly id: string;
  readonly name: string;
  readonly recordsIn?: number;
  readonly recordsOut?: number;
  readonly currentInputWatermark?: number;
  readonly currentOutputWatermark?: number;
}

/** The chain's operators with their records and watermarks (Flink's per-operator metrics). */
function OperatorTable({ operators }: { operators: readonly OperatorMetrics[] }) {
  return (
    <table class="table" data-testid="operator-table">
      <thead>
        <tr>
          <th>Operator</th>
          <th class="right">Records in</th>
          <th class="right">Records out</th>
          <th>Input watermark</th>
          <th>Output watermark</th>
        </tr>
      </thead>
      <tbody>
        {operators.map((o) => (
          <tr key={o.id} data-testid="operator-row">
            <td>{o.name}</td>
            <td class="right">{o.recordsIn === undefined ? '–' : formatCount(o.recordsIn)}</td>
            <td class="right">{o.recordsOut === undefined ? '–' : formatCount(o.recordsOut)}</td>
            <td class="mono small">{formatWatermark(o.currentInputWatermark)}</td>
            <td class="mono small">{formatWatermark(o.currentOutputWatermark)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
