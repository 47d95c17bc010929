import { useState } from 'preact/hooks';
import { api } from '../api';
import { Card, PollState, StatusBadge, TaskCounts } from '../components';
import { formatDuration, formatTime } from '../format';
import { usePoll } from '../poll';
import { href } from '../router';
import type { JobSummary } from '../types';
import { TERMINAL_JOB_STATUSES } from '../types';

/** Running and finished jobs, newest first, with cancel for the running ones. */
export function JobsPage({ refreshMs }: { refreshMs: number }) {
  const polled = usePoll(() => api<{ jobs: JobSummary[] }>('/jobs'), refreshMs, 'jobs');
  const jobs = polled.data?.jobs ?? [];
  const running = jobs.filter((j) => !TERMINAL_JOB_STATUSES.includes(j.status));
  const finished = jobs.filter((j) => TERMINAL_JOB_STATUSES.includes(j.status));
  return (
    <div>
      <h1>Jobs</h1>
      <PollState polled={polled} what="the jobs" />
      {polled.data && (
        <>
          <Card title={`Running (${running.length})`}>
            <JobTable jobs={running} withCancel />
          </Card>
          <Card title={`Finished (${finished.length})`}>
            <JobTable jobs={finished} />
          </Card>
        </>
      )}
    </div>
  );
}

export function JobTable({ jobs, withCancel }: { jobs: readonly JobSummary[]; withCancel?: boolean }) {
  if (jobs.length === 0) return <div class="muted">No jobs.</div>;
  return (
    <table class="table" data-testid="job-table">
      <thead>
        <tr>
          <th>Name</th>
          <th>Status</th>
          <th>Start</th>
          <th>Duration</th>
          <th>Tasks</th>
          {withCancel && <th />}
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.jobId} data-job-id={job.jobId}>
            <td>
              <a href={href('jobs', job.jobId)}>{job.name}</a>
              <div class="muted mono small">{job.jobId}</div>
            </td>
            <td>
              <StatusBadge status={job.status} />
            </td>
            <td>{formatTime(job.startTime)}</td>
            <td>{formatDuration(job.durationMs)}</td>
            <td>
              <TaskCounts tasks={job.tasks} />
            </td>
            {withCancel && (
              <td class="right">
                <CancelButton job={job} />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Cancel with a confirmation step in place (no browser dialog), then `PATCH /jobs/:id?mode=cancel`. */
export function CancelButton({ job }: { job: JobSummary }) {
  const [confirming, setConfirming] = useState(false);
  const [state, setState] = useState<{ busy?: boolean; error?: string }>({});
  if (TERMINAL_JOB_STATUSES.includes(job.status) || job.status === 'CANCELLING') return null;
  const cancel = async (): Promise<void> => {
    setState({ busy: true });
    try {
      await api(`/jobs/${encodeURIComponent(job.jobId)}?mode=cancel`, { method: 'PATCH' });
      setState({});
      setConfirming(false);
    } catch (err) {
      setState({ error: (err as Error).message });
    }
  };
  if (!confirming)
    return (
      <button class="danger" onClick={() => setConfirming(true)}>
        Cancel
      </button>
    );
  return (
    <span class="confirm">
      Cancel job “{job.name}”?{' '}
      <button class="danger" disabled={state.busy} onClick={() => void cancel()}>
        Yes, cancel
      </button>{' '}
      <button onClick={() => setConfirming(false)}>No</button>
      {state.error && <span class="error-text"> {state.error}</span>}
    </span>
  );
}
