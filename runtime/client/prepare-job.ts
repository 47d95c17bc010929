import type { JobArgs, JobDefinition } from '../api/job';
import type { JobSettings } from '../api/job-settings';
import { DEFAULT_JOB_SETTINGS } from '../api/job-settings';
import { loadJobModule } from '../api/load-job-module';
import type { JobGraph } from '../graph/job-graph';
import { createJobGraph } from '../graph/job-graph';
import { buildStreamGraph } from '../graph/stream-graph';
import type { JobCode } from '../deployment/task-deployment';

/** A job ready to submit: its graph plus what tasks need to rebuild it. */
export interface PreparedJob {
  readonly job: JobDefinition;
  readonly jobGraph: JobGraph;
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
  const jobGraph = createJobGraph(buildStreamGraph(job, args, buildSettings));
  return { job, jobGraph, code: { modulePath, args, buildSettings, graphHash: jobGraph.graphHash } };
}
