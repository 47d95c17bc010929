import type { StateSettings } from '../state/state-backend-factory';
import { randomUUID } from 'node:crypto';
import type { ResourceLimits } from 'node:worker_threads';
import type { SerializedError } from '../errors';
import { JobCanceledError, JobFailedError, deserializeError } from '../errors';
import { buildExecutionGraph } from '../graph/execution-graph';
import type { JobGraph } from '../graph/job-graph';
import { LocalChannelProvider } from '../network/channel-provider';
import type { JobCode, NetworkSettings } from '../taskmanager/task-deployment';
import { createDeploymentDescriptor, networkSettingsFrom, taskName } from '../taskmanager/task-deployment';
import { defaultConfig } from '../config';
import type { TaskKey } from '../taskmanager/task-executor';
import { TaskExecutor } from '../taskmanager/task-executor';
import type { ExecutionState, TaskMetrics } from '../taskmanager/task-reporter';

export interface EmbeddedRunOptions {
  /** Lines from print sinks, as they arrive. */
  readonly onOutput?: (lines: string[]) => void;
  readonly network?: Partial<NetworkSettings>;
  readonly resourceLimits?: ResourceLimits;
  /** Where tasks keep state (the default config's settings when not given). */
  readonly state?: StateSettings;
  /** Aborting cancels the job: every task thread is stopped and the promise rejects. */
  readonly signal?: AbortSignal;
}

export interface JobResult {
  readonly jobId: string;
  readonly jobName: string;
  readonly durationMs: number;
  /** Everything collect sinks sent, in arrival order. */
  readonly results: unknown[];
  readonly recordsIn: number;
  /** Final counters of every task, by task name. */
  readonly tasks: Record<string, TaskMetrics>;
}

/** The config's defaults of `taskmanager.network.*`. */
export const DEFAULT_NETWORK_SETTINGS: Readonly<Omit<NetworkSettings, 'bufferTimeoutMs'>> = Object.freeze(
  networkSettingsFrom(defaultConfig()),
);

/**
 * Runs a job in this process, every subtask in its own thread (Flink's MiniCluster). The
 * embedded target of `sluice run`, and the reference the cluster's results are checked against.
 * A failing task fails the job at once: the other tasks are stopped and the promise rejects
 * with the task and operator named.
 */
export async function runJobEmbedded(
  jobGraph: JobGraph,
  code: JobCode,
  options: EmbeddedRunOptions = {},
): Promise<JobResult> {
  const jobId = randomUUID().replaceAll('-', '');
  const started = Date.now();
  const network: NetworkSettings = {
    bufferTimeoutMs: jobGraph.settings.bufferTimeoutMs,
    ...DEFAULT_NETWORK_SETTINGS,
    ...options.network,
  };
  const vertices = buildExecutionGraph(jobGraph, jobId, 0);
  const descriptors = vertices.map((v) => createDeploymentDescriptor(jobId, 0, jobGraph, code, v, network));
  const names = new Map(descriptors.map((d) => [`${d.vertexId}/${d.subtaskIndex}`, taskName(d)]));
  const results: unknown[] = [];
  const metrics = new Map<string, TaskMetrics>();
  let remaining = descriptors.length;

  return new Promise<JobResult>((resolve, reject) => {
    let failed = false;
    const executor = new TaskExecutor(new LocalChannelProvider(), {
      onStateChange(task: TaskKey, state: ExecutionState, error?: SerializedError) {
        if (state === 'FINISHED' && --remaining === 0) {
          options.signal?.removeEventListener('abort', onAbort);
          void executor.close().then(() =>
            resolve({
              jobId,
              jobName: jobGraph.jobName,
              durationMs: Date.now() - started,
              results,
              recordsIn: sumRecordsIn(metrics),
              tasks: Object.fromEntries(metrics),
            }),
          );
        }
        if (state === 'FAILED' && !failed) {
          failed = true;
          options.signal?.removeEventListener('abort', onAbort);
          const name = names.get(`${task.vertexId}/${task.subtaskIndex}`) ?? task.vertexId;
          const cause = error ? deserializeError(error) : new Error('unknown failure');
          void executor
            .cancelJob(jobId)
            .finally(() =>
              reject(
                new JobFailedError(
                  `job '${jobGraph.jobName}' failed: task '${name}' failed: ${cause.message}`,
                  { cause, ...(error?.jobStack ? { jobStack: error.jobStack } : {}) },
                ),
              ),
            );
        }
      },
      onOutput: (_job, lines) => options.onOutput?.(lines),
      onResults: (_job, values) => {
        for (const v of values) results.push(v);
      },
      onMetrics: (task, m) =>
        metrics.set(names.get(`${task.vertexId}/${task.subtaskIndex}`) ?? task.vertexId, m),
    });
    const onAbort = (): void => {
      if (failed) return;
      failed = true;
      void executor
        .cancelJob(jobId)
        .finally(() => reject(new JobCanceledError(`job '${jobGraph.jobName}' was canceled`)));
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    for (const tdd of descriptors)
      executor.deploy(tdd, { resourceLimits: options.resourceLimits, state: options.state });
  });
}

function sumRecordsIn(metrics: Map<string, TaskMetrics>): number {
  let total = 0;
  for (const m of metrics.values()) total += m.recordsIn;
  return total;
}
