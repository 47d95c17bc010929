import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, onUnauthorized } from './api';
import { clearToken, readToken } from './auth';
import { formatDuration } from './format';
import { Login } from './pages/login';
import { JobDetailPage } from './pages/job-detail';
import { JobsPage } from './pages/jobs';
import { OverviewPage } from './pages/overview';
import { SavepointsPage } from './pages/savepoints';
import { TaskManagerDetailPage, TaskManagersPage } from './pages/task-managers';
import { usePoll } from './poll';
import { href, useRoute } from './router';
import type { DashboardConfig } from './types';
import './app.css';

/** Polling interval until `/config` says otherwise (Flink's `web.refresh-interval` default). */
const DEFAULT_REFRESH_MS = 3_000;

function App() {
  const [token, setToken] = useState(readToken());
  const [loginError, setLoginError] = useState<string | undefined>();
  useEffect(
    () =>
      onUnauthorized(() => {
        setLoginError('The job manager no longer accepts the token. Log in again.');
        setToken(undefined);
      }),
    [],
  );
  if (!token)
    return (
      <Login
        initialError={loginError}
        onLogin={(t) => {
          setLoginError(undefined);
          setToken(t);
        }}
      />
    );
  return (
    <Shell
      onLogout={() => {
        clearToken();
        setToken(undefined);
      }}
    />
  );
}

function Shell({ onLogout }: { onLogout: () => void }) {
  const route = useRoute();
  const config = usePoll(() => api<DashboardConfig>('/config'), 30_000, 'config');
  const refreshMs = config.data?.['refresh-interval'] ?? DEFAULT_REFRESH_MS;
  const features = config.data?.features ?? {};
  const nav = (page: string, label: string, target: string) => (
    <a href={target} class={route.page.startsWith(page) ? 'active' : ''}>
      {label}
    </a>
  );
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href={href()}>
          Sluice
        </a>
        <nav>
          {nav('overview', 'Overview', href())}
          {nav('job', 'Jobs', href('jobs'))}
          {nav('taskmanager', 'TaskManagers', href('taskmanagers'))}
          {features.savepoints && nav('savepoints', 'Savepoints', href('savepoints'))}
        </nav>
        <span class="topbar-info">
          {config.data
            ? `v${config.data['sluice-version']} · up ${formatDuration(config.data['uptime-ms'])}`
            : ''}
        </span>
        <button class="link" onClick={onLogout}>
          Log out
        </button>
      </header>
      <main>
        {route.page === 'overview' && <OverviewPage refreshMs={refreshMs} config={config.data} />}
        {route.page === 'jobs' && (
          <JobsPage refreshMs={refreshMs} savepoints={features.savepoints ?? false} />
        )}
        {route.page === 'job' && (
          <JobDetailPage refreshMs={refreshMs} jobId={route.jobId} tab={route.tab} features={features} />
        )}
        {route.page === 'taskmanagers' && <TaskManagersPage refreshMs={refreshMs} />}
        {route.page === 'taskmanager' && (
          <TaskManagerDetailPage refreshMs={refreshMs} taskManagerId={route.taskManagerId} />
        )}
        {route.page === 'savepoints' && <SavepointsPage refreshMs={refreshMs} selected={route.location} />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
