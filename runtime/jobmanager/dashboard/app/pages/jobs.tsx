import { api } from '../api';
import { Card, PollState, StatusBadge, TaskCounts } from '../components';
import { formatDuration, formatTime } from '../format';
import { usePoll } from '../poll';
import { href } from '../router';
import type { JobSummary } from '../types';
import { TERMINAL_JOB_STATUSES } from '../types';
import { JobActions } from './job-actions';

/** Running and finished jobs, newest first, with the actions (cancel, savepoints) for running ones. */
export function JobsPage({ refreshMs, savepoints }: { refreshMs: number; savepoints: boolean }) {
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
            <JobTable jobs={running} withActions savepoints={savepoints} />
          </Card>
          <Card title={`Finished (${finished.length})`}>
            <JobTable jobs={finished} />
          </Card>
        </>
      )}
    </div>
  );
}

export function JobTable(props: {
  jobs: readonly JobSummary[];
  withActions?: boolean;
  savepoints?: boolean;
}) {
  const { jobs, withActions } = props;
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
          {withActions && <th />}
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
            {withActions && (
              <td class="right">
                <JobActions job={job} savepoints={props.savepoints ?? false} />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
