import type { JobArgs } from '../api/job';
import type { JobSettings } from '../api/job-settings';
import { missingUidWarning } from '../graph/uid-warnings';
import { bundleJob } from './bundle-job';
import { prepareJob } from './prepare-job';
import type { RestClient } from './rest-client';

export interface SubmittedJob {
  readonly jobId: string;
  readonly jobName: string;
  /** SHA-256 of the job bundle. */
  readonly artifact: string;
  /** Set when the bundle was uploaded (the job manager did not have it yet). */
  readonly uploadedBytes?: number;
  readonly warnings: readonly string[];
}

/** Start the job from a savepoint (Flink's `savepointPath`, `allowNonRestoredState`). */
export interface SavepointRestore {
  readonly savepointPath: string;
  readonly allowNonRestoredState?: boolean;
}

/**
 * Submits a job module to a job manager: builds the graph here (so a broken job fails before
 * any upload), bundles the module, uploads the bundle unless the job manager has it, submits.
 */
export async function submitJob(
  client: RestClient,
  jobPath: string,
  args: JobArgs,
  settings: Partial<JobSettings>,
  restore?: SavepointRestore,
): Promise<SubmittedJob> {
  const { jobGraph, code } = prepareJob(jobPath, args, settings);
  const bundle = await bundleJob(jobPath);
  let uploadedBytes: number | undefined;
  if (!(await client.hasArtifact(bundle.sha256))) {
    await client.putArtifact(bundle.sha256, bundle.code);
    uploadedBytes = bundle.code.byteLength;
  }
  const { jobId } = await client.submitJob({
    jobGraph,
    artifact: bundle.sha256,
    args: code.args,
    buildSettings: code.buildSettings,
    ...(restore ? { savepointPath: restore.savepointPath } : {}),
    ...(restore?.allowNonRestoredState ? { allowNonRestoredState: true } : {}),
  });
  return {
    jobId,
    jobName: jobGraph.jobName,
    artifact: bundle.sha256,
    warnings: [...bundle.warnings, ...optional(missingUidWarning(jobGraph))],
    ...(uploadedBytes !== undefined ? { uploadedBytes } : {}),
  };
}

const optional = (warning: string | undefined): string[] => (warning === undefined ? [] : [warning]);
