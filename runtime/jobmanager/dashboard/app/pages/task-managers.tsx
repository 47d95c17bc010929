import { api } from '../api';
import { Card, PollState, Stat, TailBlock } from '../components';
import { formatDuration, formatLogLine, formatMb } from '../format';
import { usePoll } from '../poll';
import { href } from '../router';
import type { ResourceProfile, TaskManagerInfo, TaskManagerLogs } from '../types';

/** Lines of a TaskManager's log the dashboard asks for. */
const LOG_LINES = 300;

export function TaskManagersPage({ refreshMs }: { refreshMs: number }) {
  const polled = usePoll(() => api<{ taskManagers: TaskManagerInfo[] }>('/taskmanagers'), refreshMs, 'tms');
  return (
    <div>
      <h1>TaskManagers</h1>
      <PollState polled={polled} what="the TaskManagers" />
      {polled.data && (
        <Card title={`${polled.data.taskManagers.length} TaskManagers`}>
          <TaskManagerTable taskManagers={polled.data.taskManagers} />
        </Card>
      )}
    </div>
  );
}

export function TaskManagerTable({ taskManagers }: { taskManagers: readonly TaskManagerInfo[] }) {
  if (taskManagers.length === 0) return <div class="muted">No TaskManagers registered.</div>;
  return (
    <table class="table" data-testid="taskmanager-table">
      <thead>
        <tr>
          <th>Id</th>
          <th>Data address</th>
          <th class="right">Slots free / total</th>
          <th>CPU free / total</th>
          <th>Heap free / total</th>
          <th>Connected</th>
        </tr>
      </thead>
      <tbody>
        {taskManagers.map((tm) => (
          <tr key={tm.id} data-testid="taskmanager-row">
            <td class="mono">
              <a href={href('taskmanagers', tm.id)}>{tm.id}</a>
            </td>
            <td class="mono small">
              {tm.dataHost}:{tm.dataPort}
            </td>
            <td class="right">
              {tm.slotsFree} / {tm.slotsTotal}
            </td>
            <td>
              {round(tm.freeResources.cpuCores)} / {round(tm.totalResources.cpuCores)}
            </td>
            <td>
              {formatMb(tm.freeResources.heapMb)} / {formatMb(tm.totalResources.heapMb)}
            </td>
            <td>{tm.connected ? 'yes' : <span class="error-text">no</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TaskManagerDetailPage({
  refreshMs,
  taskManagerId,
}: {
  refreshMs: number;
  taskManagerId: string;
}) {
  const id = encodeURIComponent(taskManagerId);
  const polled = usePoll(() => api<TaskManagerInfo>(`/taskmanagers/${id}`), refreshMs, `tm-${taskManagerId}`);
  const tm = polled.data;
  return (
    <div>
      <div class="page-head">
        <h1 class="mono">{taskManagerId}</h1>
      </div>
      <PollState polled={polled} what="the TaskManager" />
      {tm && (
        <>
          <div class="stats">
            <Stat label="slots free" value={`${tm.slotsFree} / ${tm.slotsTotal}`} testId="tm-slots" />
            <Stat
              label="last heartbeat"
              value={
                tm.connected
                  ? `${formatDuration((tm.now ?? Date.now()) - tm.lastHeartbeat)} ago`
                  : 'disconnected'
              }
              testId="tm-heartbeat"
            />
            <Stat label="data address" value={`${tm.dataHost}:${tm.dataPort}`} />
          </div>
          <Card title="Slots">
            <table class="table" data-testid="slot-table">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Job</th>
                  <th>Allocation</th>
                  <th>Profile</th>
                </tr>
              </thead>
              <tbody>
                {tm.slots.map((s) => (
                  <tr key={s.index}>
                    <td>{s.index}</td>
                    <td class="mono small">
                      {s.jobId ? (
                        <a href={href('jobs', s.jobId)}>{s.jobId}</a>
                      ) : (
                        <span class="muted">free</span>
                      )}
                    </td>
                    <td class="mono small">{s.allocationId ?? '–'}</td>
                    <td>{s.profile ? describeProfile(s.profile) : <span class="muted">unknown</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
          <Card title="Resources">
            <ResourceTable total={tm.totalResources} free={tm.freeResources} />
          </Card>
        </>
      )}
      <LogTail taskManagerId={taskManagerId} refreshMs={refreshMs} />
    </div>
  );
}

function ResourceTable({ total, free }: { total: ResourceProfile; free: ResourceProfile }) {
  const rows: [string, (p: ResourceProfile) => string][] = [
    ['CPU cores', (p) => String(round(p.cpuCores))],
    ['heap', (p) => formatMb(p.heapMb)],
    ['direct', (p) => formatMb(p.directMb)],
    ['native', (p) => formatMb(p.nativeMb)],
    ['network', (p) => formatMb(p.networkMb)],
    ['managed', (p) => formatMb(p.managedMb)],
  ];
  return (
    <table class="table narrow">
      <thead>
        <tr>
          <th />
          <th class="right">free</th>
          <th class="right">total</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, show]) => (
          <tr key={name}>
            <td>{name}</td>
            <td class="right">{show(free)}</td>
            <td class="right">{show(total)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LogTail({ taskManagerId, refreshMs }: { taskManagerId: string; refreshMs: number }) {
  const id = encodeURIComponent(taskManagerId);
  const polled = usePoll(
    () => api<TaskManagerLogs>(`/taskmanagers/${id}/logs?lines=${LOG_LINES}`),
    Math.max(refreshMs, 5_000),
    `logs-${taskManagerId}`,
  );
  return (
    <Card title="Log (tail)">
      <PollState polled={polled} what="the log" />
      {polled.data && (
        <>
          {polled.data.droppedLines > 0 && (
            <div class="muted small">{polled.data.droppedLines} earlier lines not shown</div>
          )}
          <TailBlock testId="tm-log">
            {polled.data.lines.length === 0 && '(no log lines yet)'}
            {polled.data.lines.map((line, i) => {
              const { text, level } = formatLogLine(line);
              return (
                <div key={i} class={`log-${level}`}>
                  {text}
                </div>
              );
            })}
          </TailBlock>
        </>
      )}
    </Card>
  );
}

function describeProfile(p: ResourceProfile): string {
  return `${round(p.cpuCores)} cpu, heap ${formatMb(p.heapMb)}, managed ${formatMb(p.managedMb)}`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
