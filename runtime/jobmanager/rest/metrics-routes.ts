import type { FastifyPluginCallback } from 'fastify';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { OperatorMetrics } from '../../deployment/execution-state';
import type { JobManagerGateway, SubtaskDetails } from '../gateway';
import { TERMINAL_JOB_STATUSES } from '../gateway';

/**
 * `GET /metrics` in the Prometheus text format (bearer token like every route but health):
 * cluster slots, jobs by status, per running subtask its records, back pressure and time split
 * (Flink's busy / idle / back-pressured ms per second), per operator its records, plus
 * the job manager process's own metrics. Values are read from the gateway at scrape time.
 */
export const metricsRoutes: FastifyPluginCallback<{ gateway: JobManagerGateway }> = (
  app,
  { gateway },
  done,
) => {
  const metrics = createMetrics(gateway);
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.scrape();
  });
  done();
};

const SUBTASK_LABELS = ['job_id', 'job_name', 'vertex', 'subtask'] as const;
const OPERATOR_LABELS = [...SUBTASK_LABELS, 'operator', 'operator_id'] as const;

/** What one scrape reads from the gateway, once, for every gauge. */
interface Snapshot {
  overview: Awaited<ReturnType<JobManagerGateway['overview']>>;
  jobs: Awaited<ReturnType<JobManagerGateway['listJobs']>>;
  running: Awaited<ReturnType<JobManagerGateway['getJob']>>[];
}

async function snapshot(gateway: JobManagerGateway): Promise<Snapshot> {
  const [overview, jobs] = await Promise.all([gateway.overview(), gateway.listJobs()]);
  const live = jobs.filter((j) => !TERMINAL_JOB_STATUSES.has(j.status));
  return { overview, jobs, running: await Promise.all(live.map((j) => gateway.getJob(j.jobId))) };
}

export function createMetrics(gateway: JobManagerGateway): {
  contentType: string;
  scrape(): Promise<string>;
} {
  const registry = new Registry();
  let current: Promise<Snapshot> = Promise.resolve({ overview: undefined as never, jobs: [], running: [] });
  collectDefaultMetrics({ register: registry, prefix: 'sluice_jobmanager_' });
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (g: Gauge<L>, s: Snapshot) => void,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        collect(this, await current);
      },
    });
  gauge('sluice_taskmanagers', 'Registered TaskManagers.', [], (g, s) => g.set(s.overview.taskManagers));
  gauge('sluice_task_slots', 'Task slots by state.', ['state'], (g, s) => {
    g.set({ state: 'total' }, s.overview.slotsTotal);
    g.set({ state: 'available' }, s.overview.slotsAvailable);
  });
  gauge('sluice_jobs', 'Jobs by status.', ['status'], (g, s) => {
    for (const job of s.jobs) g.inc({ status: job.status });
  });
  gauge('sluice_job_restarts', 'Restarts of a running job.', ['job_id', 'job_name'], (g, s) => {
    for (const job of s.running) g.set({ job_id: job.jobId, job_name: job.name }, job.restarts);
  });
  const perSubtask = (name: string, help: string, value: (t: SubtaskDetails) => number) =>
    gauge(name, help, SUBTASK_LABELS, (g, s) => {
      for (const job of s.running) {
        for (const v of job.vertices) {
          for (const t of v.subtasks) {
            g.set(
              { job_id: job.jobId, job_name: job.name, vertex: v.name, subtask: String(t.subtask) },
              value(t),
            );
          }
        }
      }
    });
  perSubtask(
    'sluice_task_records_in',
    'Records a running subtask received (resets when its job restarts).',
    (t) => t.recordsIn,
  );
  perSubtask(
    'sluice_task_records_out',
    'Records a running subtask emitted (resets when its job restarts).',
    (t) => t.recordsOut,
  );
  perSubtask(
    'sluice_task_backpressure_ratio',
    'Share of the last interval a subtask could not emit (0..1).',
    (t) => t.backPressureRatio,
  );
  perSubtask(
    'sluice_task_busy_time_ms_per_second',
    "Ms per second a running subtask was busy processing (Flink's busyTimeMsPerSecond).",
    (t) => t.busyTimeMsPerSecond,
  );
  perSubtask(
    'sluice_task_idle_time_ms_per_second',
    "Ms per second a running subtask waited for input (Flink's idleTimeMsPerSecond).",
    (t) => t.idleTimeMsPerSecond,
  );
  perSubtask(
    'sluice_task_back_pressured_time_ms_per_second',
    "Ms per second a running subtask waited for credit to emit (Flink's backPressuredTimeMsPerSecond).",
    (t) => t.backPressuredTimeMsPerSecond,
  );
  const perOperator = (name: string, help: string, value: (o: OperatorMetrics) => number) =>
    gauge(name, help, OPERATOR_LABELS, (g, s) => {
      for (const job of s.running) {
        for (const v of job.vertices) {
          for (const t of v.subtasks) {
            for (const o of t.operators) {
              const labels = {
                job_id: job.jobId,
                job_name: job.name,
                vertex: v.name,
                subtask: String(t.subtask),
              };
              g.set({ ...labels, operator: o.name, operator_id: o.id }, value(o));
            }
          }
        }
      }
    });
  perOperator(
    'sluice_operator_records_in',
    'Records an operator of a running subtask received; a source: records it read.',
    (o) => o.recordsIn,
  );
  perOperator(
    'sluice_operator_records_out',
    'Records an operator of a running subtask emitted; a sink: records it wrote.',
    (o) => o.recordsOut,
  );
  return {
    contentType: registry.contentType,
    scrape() {
      current = snapshot(gateway);
      return registry.metrics();
    },
  };
}
