import type { JobArgs, JobDefinition } from '../api/job';
import type { JobSettings } from '../api/job-settings';
import { DEFAULT_JOB_SETTINGS } from '../api/job-settings';
import { loadJobModule } from '../api/load-job-module';
import type { JobGraph } from '../graph/job-graph';
import { createJobGraph } from '../graph/job-graph';
import type { StreamGraph } from '../graph/stream-graph';
import { buildStreamGraph } from '../graph/stream-graph';
import type { JobCode } from '../deployment/task-deployment';

/** A job ready to submit: its graph plus what tasks need to rebuild it. */
export interface PreparedJob {
  readonly job: JobDefinition;
  readonly jobGraph: JobGraph;
  /** The graph with the operators' code (what tasks rebuild); `savepoint check` opens its operators. */
  readonly streamGraph: StreamGraph;
  readonly code: JobCode;
}

/** Loads a job module, runs its build with the given args and settings, and translates the graph. */
export function prepareJob(
  modulePath: string,
  args: JobArgs = {},
  settings: Partial<JobSettings> = {},
): PreparedJob {
  const job = loadJobModule(modulePath);
  const buildSettings = { ...DEFAULT_JOB_SETTINGS, ...settings };
  const streamGraph = buildStreamGraph(job, args, buildSettings);
  const jobGraph = createJobGraph(streamGraph);
  return {
    job,
    jobGraph,
    streamGraph,
    code: { modulePath, args, buildSettings, graphHash: jobGraph.graphHash },
  };
}
