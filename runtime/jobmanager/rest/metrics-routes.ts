import type { FastifyPluginCallback } from 'fastify';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobCheckpointStats } from '../../checkpoint/checkpoint-stats';
import type { OperatorMetrics } from '../../deployment/execution-state';
import { NotFoundError } from '../../errors';
import type { CheckpointGateway } from '../checkpoint-gateway';
import type { JobManagerGateway, SubtaskDetails } from '../gateway';
import { TERMINAL_JOB_STATUSES } from '../gateway';
import { subtaskInputWatermark } from '../subtask-watermarks';

/**
 * `GET /metrics` in the Prometheus text format (bearer token like every route but health):
 * cluster slots, jobs by status, per running subtask its records, back pressure and time split
 * (Flink's busy / idle / back-pressured ms per second) and event time, per operator its records
 * and watermarks (Flink's currentInputWatermark / currentOutputWatermark), plus
 * per running job its checkpoints (Flink's job metric names, when the checkpoint gateway is
 * there), plus the job manager process's own metrics. Values are read from the gateways at
 * scrape time.
 */
export const metricsRoutes: FastifyPluginCallback<{
  gateway: JobManagerGateway;
  checkpoints?: CheckpointGateway;
}> = (app, { gateway, checkpoints }, done) => {
  const metrics = createMetrics(gateway, checkpoints);
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.scrape();
  });
  done();
};

const JOB_LABELS = ['job_id', 'job_name'] as const;
const SUBTASK_LABELS = [...JOB_LABELS, 'vertex', 'subtask'] as const;
const OPERATOR_LABELS = [...SUBTASK_LABELS, 'operator', 'operator_id'] as const;

/** What one scrape reads from the gateway, once, for every gauge. */
interface Snapshot {
  overview: Awaited<ReturnType<JobManagerGateway['overview']>>;
  jobs: Awaited<ReturnType<JobManagerGateway['listJobs']>>;
  running: Awaited<ReturnType<JobManagerGateway['getJob']>>[];
  /** Checkpoint statistics of the running jobs, by job id. */
  checkpoints: Map<string, JobCheckpointStats>;
}

async function snapshot(gateway: JobManagerGateway, checkpoints?: CheckpointGateway): Promise<Snapshot> {
  const [overview, jobs] = await Promise.all([gateway.overview(), gateway.listJobs()]);
  const live = jobs.filter((j) => !TERMINAL_JOB_STATUSES.has(j.status));
  const [running, stats] = await Promise.all([
    Promise.all(live.map((j) => gateway.getJob(j.jobId))),
    checkpoints ? Promise.all(live.map((j) => checkpointStatsOf(checkpoints, j.jobId))) : [],
  ]);
  const byJob = new Map<string, JobCheckpointStats>();
  live.forEach((j, i) => {
    const s = stats[i];
    if (s) byJob.set(j.jobId, s);
  });
  return { overview, jobs, running, checkpoints: byJob };
}

/** A job may end and be forgotten between listing and asking: it then has no series. */
async function checkpointStatsOf(
  checkpoints: CheckpointGateway,
  jobId: string,
): Promise<JobCheckpointStats | undefined> {
  try {
    return await checkpoints.checkpointStats(jobId);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

export function createMetrics(
  gateway: JobManagerGateway,
  checkpoints?: CheckpointGateway,
): {
  contentType: string;
  scrape(): Promise<string>;
} {
  const registry = new Registry();
  let current: Promise<Snapshot> = Promise.resolve({
    overview: undefined as never,
    jobs: [],
    running: [],
    checkpoints: new Map(),
  });
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
  gauge('sluice_job_numRestarts', "Restarts of a running job (Flink's numRestarts).", JOB_LABELS, (g, s) => {
    for (const job of s.running) g.set({ job_id: job.jobId, job_name: job.name }, job.restarts);
  });
  if (checkpoints) registerCheckpointGauges(gauge);
  const perSubtask = (name: string, help: string, value: (t: SubtaskDetails) => number | undefined) =>
    gauge(name, help, SUBTASK_LABELS, (g, s) => {
      for (const job of s.running) {
        for (const v of job.vertices) {
          for (const t of v.subtasks) {
            const x = value(t);
            if (x === undefined) continue;
            g.set({ job_id: job.jobId, job_name: job.name, vertex: v.name, subtask: String(t.subtask) }, x);
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
  perSubtask(
    'sluice_task_currentInputWatermark',
    "Event time of a running subtask: the lowest input watermark of its operators, ms (Flink's currentInputWatermark); absent before the first.",
    subtaskInputWatermark,
  );
  const perOperator = (name: string, help: string, value: (o: OperatorMetrics) => number | undefined) =>
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
              const x = value(o);
              if (x !== undefined) g.set({ ...labels, operator: o.name, operator_id: o.id }, x);
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
  perOperator(
    'sluice_operator_numLateRecordsDropped',
    "Records a window or interval join of a running subtask dropped as late, with no side output (Flink's numLateRecordsDropped); only operators that drop late records.",
    (o) => o.lateRecordsDropped,
  );
  perOperator(
    'sluice_operator_currentInputWatermark',
    "An operator's event time, the lowest watermark of its inputs, ms (Flink's currentInputWatermark).",
    (o) => o.currentInputWatermark,
  );
  perOperator(
    'sluice_operator_currentOutputWatermark',
    "The last watermark an operator emitted, ms (Flink's currentOutputWatermark).",
    (o) => o.currentOutputWatermark,
  );
  return {
    contentType: registry.contentType,
    scrape() {
      current = snapshot(gateway, checkpoints);
      return registry.metrics();
    },
  };
}

type GaugeFactory = <L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  collect: (g: Gauge<L>, s: Snapshot) => void,
) => Gauge<L>;

/**
 * Per running job, Flink's checkpoint metrics under their Flink names. A "last …" series is
 * absent until there is such a checkpoint (Flink reports -1 there; an absent series keeps
 * graphs and `max()` honest).
 */
function registerCheckpointGauges(gauge: GaugeFactory): void {
  const perJob = (name: string, help: string, value: (stats: JobCheckpointStats) => number | undefined) =>
    gauge(`sluice_job_${name}`, help, JOB_LABELS, (g, s) => {
      for (const job of s.running) {
        const stats = s.checkpoints.get(job.jobId);
        const v = stats === undefined ? undefined : value(stats);
        if (v !== undefined) g.set({ job_id: job.jobId, job_name: job.name }, v);
      }
    });
  perJob('totalNumberOfCheckpoints', 'Checkpoints triggered for a running job.', (c) => c.counts.total);
  perJob(
    'numberOfCompletedCheckpoints',
    'Checkpoints of a running job that completed.',
    (c) => c.counts.completed,
  );
  perJob('numberOfFailedCheckpoints', 'Checkpoints of a running job that failed.', (c) => c.counts.failed);
  perJob(
    'numberOfInProgressCheckpoints',
    'Checkpoints of a running job in progress.',
    (c) => c.counts.inProgress,
  );
  perJob(
    'lastCompletedCheckpointId',
    'Id of the latest completed checkpoint.',
    (c) => c.latest.completed?.id,
  );
  perJob(
    'lastCheckpointDuration',
    'Milliseconds the latest completed checkpoint took.',
    (c) => c.latest.completed?.durationMs,
  );
  perJob(
    'lastCheckpointSize',
    'Bytes of state of the latest completed checkpoint.',
    (c) => c.latest.completed?.stateSize,
  );
  perJob(
    'lastCheckpointRestoreTimestamp',
    'When the job last restored from a checkpoint (epoch ms).',
    (c) => c.latest.restored?.restoreTimestamp,
  );
  perJob(
    'lastRestoredCheckpointId',
    'Id of the checkpoint the job last restored from.',
    (c) => c.latest.restored?.id,
  );
}
