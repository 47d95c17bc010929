import { api } from '../api';
import { Card, PollState, Stat } from '../components';
import { formatDuration } from '../format';
import { usePoll } from '../poll';
import type { ClusterOverview, DashboardConfig, JobSummary, TaskManagerInfo } from '../types';
import { JobTable } from './jobs';
import { TaskManagerTable } from './task-managers';

interface OverviewData {
  readonly overview: ClusterOverview;
  readonly jobs: readonly JobSummary[];
  readonly taskManagers: readonly TaskManagerInfo[];
}

async function loadOverview(): Promise<OverviewData> {
  const [overview, jobs, tms] = await Promise.all([
    api<ClusterOverview>('/overview'),
    api<{ jobs: JobSummary[] }>('/jobs'),
    api<{ taskManagers: TaskManagerInfo[] }>('/taskmanagers'),
  ]);
  return { overview, jobs: jobs.jobs, taskManagers: tms.taskManagers };
}

/** The cluster at a glance: TaskManagers, slots, jobs by state, version and uptime. */
export function OverviewPage({ refreshMs, config }: { refreshMs: number; config?: DashboardConfig }) {
  const polled = usePoll(loadOverview, refreshMs, 'overview');
  const data = polled.data;
  return (
    <div>
      <h1>Overview</h1>
      <PollState polled={polled} what="the overview" />
      {data && (
        <>
          <div class="stats">
            <Stat label="TaskManagers" value={data.overview.taskManagers} testId="stat-taskmanagers" />
            <Stat label="slots total" value={data.overview.slotsTotal} testId="stat-slots-total" />
            <Stat label="slots free" value={data.overview.slotsAvailable} testId="stat-slots-free" />
            <Stat label="jobs running" value={data.overview.jobsRunning} testId="stat-jobs-running" />
            <Stat label="finished" value={data.overview.jobsFinished} />
            <Stat label="canceled" value={data.overview.jobsCanceled} />
            <Stat label="failed" value={data.overview.jobsFailed} />
            <Stat label="version" value={data.overview.version} />
            <Stat label="uptime" value={config ? formatDuration(config['uptime-ms']) : '–'} />
          </div>
          <Card title="Running jobs">
            <JobTable
              jobs={data.jobs.filter((j) => !['FINISHED', 'FAILED', 'CANCELED'].includes(j.status))}
            />
          </Card>
          <Card title="TaskManagers">
            <TaskManagerTable taskManagers={data.taskManagers} />
          </Card>
        </>
      )}
    </div>
  );
}
