import { useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { Card, PollState, StatusBadge, TailBlock, TaskCounts } from '../components';
import { formatDuration, formatTime } from '../format';
import { usePoll } from '../poll';
import { RateTracker } from '../rates';
import { href } from '../router';
import type { JobDetails, JobExceptions, JobOutputPage, JobPlan } from '../types';
import { CheckpointsTab } from './job-checkpoints';
import { JobActions } from './job-actions';
import { JobGraph } from './job-graph';
import { VertexCard } from './job-vertex';

/** Plans do not change while a job runs: fetched once a minute at most. */
const PLAN_REFRESH_MS = 60_000;

/**
 * Tabs of a job. Watermarks join here as that feature lands,
 * shown only when `/config` lists its feature.
 */
const TABS: readonly { id: string; label: string; feature?: string }[] = [
  { id: 'graph', label: 'Graph' },
  { id: 'checkpoints', label: 'Checkpoints', feature: 'checkpoints' },
  { id: 'exceptions', label: 'Exceptions' },
  { id: 'output', label: 'Output' },
];

export function JobDetailPage(props: {
  refreshMs: number;
  jobId: string;
  tab: string;
  features: Readonly<Record<string, boolean>>;
}) {
  const { jobId, refreshMs } = props;
  const details = usePoll(() => api<JobDetails>(`/jobs/${encodeURIComponent(jobId)}`), refreshMs, jobId);
  const job = details.data;
  const tabs = TABS.filter((t) => !t.feature || props.features[t.feature]);
  const tab = tabs.some((t) => t.id === props.tab) ? props.tab : 'graph';
  return (
    <div>
      <div class="page-head">
        <h1>{job?.name ?? 'Job'}</h1>
        {job && <StatusBadge status={job.status} />}
        {job && <JobActions job={job} savepoints={props.features['savepoints'] ?? false} />}
      </div>
      <PollState polled={details} what="the job" />
      {job && <JobFacts job={job} />}
      <nav class="tabs">
        {tabs.map((t) => (
          <a
            key={t.id}
            href={href('jobs', jobId, t.id)}
            class={t.id === tab ? 'active' : ''}
            data-testid={`tab-${t.id}`}
          >
            {t.label}
          </a>
        ))}
      </nav>
      {tab === 'graph' && job && <GraphTab job={job} updatedAt={details.updatedAt ?? 0} />}
      {tab === 'checkpoints' && job && <CheckpointsTab job={job} refreshMs={refreshMs} />}
      {tab === 'exceptions' && <ExceptionsTab jobId={jobId} refreshMs={refreshMs} />}
      {tab === 'output' && <OutputTab jobId={jobId} refreshMs={refreshMs} />}
    </div>
  );
}

function JobFacts({ job }: { job: JobDetails }) {
  return (
    <div class="facts">
      <span>
        <b>id</b> <span class="mono">{job.jobId}</span>
      </span>
      <span>
        <b>start</b> {formatTime(job.startTime)}
      </span>
      <span>
        <b>duration</b> {formatDuration(job.durationMs)}
      </span>
      <span>
        <b>attempt</b> {job.attempt} <b>restarts</b> {job.restarts}
      </span>
      <span>
        <b>tasks</b> <TaskCounts tasks={job.tasks} />
      </span>
      {job.failure && (
        <div class="error-banner" data-testid="job-failure">
          Last failure ({formatTime(job.failure.timestamp)}): {job.failure.name}: {job.failure.message}
        </div>
      )}
    </div>
  );
}

function GraphTab({ job, updatedAt }: { job: JobDetails; updatedAt: number }) {
  const plan = usePoll(
    () => api<JobPlan>(`/jobs/${encodeURIComponent(job.jobId)}/plan`),
    PLAN_REFRESH_MS,
    job.jobId,
  );
  const tracker = useRef(new RateTracker());
  const rates = useMemo(() => tracker.current.update(job, updatedAt), [job, updatedAt]);
  const [selected, setSelected] = useState<string | undefined>();
  const vertices = new Map(job.vertices.map((v) => [v.id, v]));
  const vertex = vertices.get(selected ?? '') ?? job.vertices[0];
  return (
    <div>
      <PollState polled={plan} what="the job graph" />
      {plan.data && (
        <div class="graph-scroll">
          <JobGraph
            nodes={plan.data.plan.nodes}
            vertices={vertices}
            rates={rates.byKey}
            selected={vertex?.id}
            onSelect={setSelected}
          />
        </div>
      )}
      {vertex && <VertexCard vertex={vertex} rates={rates.byKey} />}
    </div>
  );
}

function ExceptionsTab({ jobId, refreshMs }: { jobId: string; refreshMs: number }) {
  const polled = usePoll(
    () => api<JobExceptions>(`/jobs/${encodeURIComponent(jobId)}/exceptions`),
    refreshMs,
    `exceptions-${jobId}`,
  );
  const history = polled.data?.exceptionHistory;
  return (
    <Card title="Exception history">
      <PollState polled={polled} what="the exceptions" />
      {history && history.entries.length === 0 && <div class="muted">No failures.</div>}
      {history && history.entries.length > 0 && (
        <table class="table" data-testid="exception-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>Attempt</th>
              <th>Exception</th>
              <th>Task</th>
              <th>TaskManager</th>
            </tr>
          </thead>
          <tbody>
            {history.entries.map((e) => (
              <tr key={`${e.timestamp}-${e.attempt}`} data-testid="exception-row">
                <td>{formatTime(e.timestamp)}</td>
                <td>{e.attempt}</td>
                <td>
                  <details>
                    <summary>
                      <b>{e.exceptionName}</b>: {e.message}
                    </summary>
                    <pre class="stack">{e.stacktrace ?? '(no stack trace)'}</pre>
                  </details>
                </td>
                <td>{e.taskName ?? e.operatorName ?? '–'}</td>
                <td class="mono small">
                  {e.taskManagerId ? (
                    <a href={href('taskmanagers', e.taskManagerId)}>{e.taskManagerId}</a>
                  ) : (
                    '–'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {history?.truncated && <div class="muted">Older failures were dropped.</div>}
    </Card>
  );
}

/** Most printed lines the output tab keeps. */
const OUTPUT_TAIL_LINES = 500;

function OutputTab({ jobId, refreshMs }: { jobId: string; refreshMs: number }) {
  const tail = useRef<{ attempt: number; next: number; lines: string[] }>({
    attempt: -1,
    next: 0,
    lines: [],
  });
  const polled = usePoll(
    async () => {
      const t = tail.current;
      const page = await api<JobOutputPage>(
        `/jobs/${encodeURIComponent(jobId)}/output?fromLine=${t.next}&fromResult=0`,
      );
      // A restart starts the output over (no checkpoints yet): show the new attempt's lines.
      if (page.attempt !== t.attempt) tail.current = { attempt: page.attempt, next: 0, lines: [] };
      const current = tail.current;
      if (page.attempt === t.attempt || t.attempt === -1) {
        current.lines = [...current.lines, ...page.lines].slice(-OUTPUT_TAIL_LINES);
        current.next = page.nextLine;
      }
      return { ...current, lines: [...current.lines] };
    },
    refreshMs,
    `output-${jobId}`,
  );
  return (
    <Card title="Printed output (tail)">
      <PollState polled={polled} what="the output" />
      {polled.data && (
        <>
          <div class="muted small">
            attempt {polled.data.attempt}, last {polled.data.lines.length} lines
          </div>
          <TailBlock testId="job-output">{polled.data.lines.join('\n') || '(nothing printed yet)'}</TailBlock>
        </>
      )}
    </Card>
  );
}
