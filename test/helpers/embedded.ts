import { join } from 'node:path';
import type { JobArgs } from '../../runtime/api/job';
import type { JobSettings } from '../../runtime/api/job-settings';
import { prepareJob } from '../../runtime/client/prepare-job';
import type { EmbeddedRunOptions, JobResult } from '../../runtime/minicluster/mini-cluster';
import { runJobEmbedded } from '../../runtime/minicluster/mini-cluster';

export const REPO_ROOT = join(__dirname, '..', '..');
export const fixtureJob = (name: string): string => join(REPO_ROOT, 'test', 'fixtures', 'jobs', `${name}.ts`);
export const functionJob = (name: string): string => join(REPO_ROOT, 'functions', `${name}.ts`);

/** Runs a job module embedded and returns the lines its finishing attempt printed, with the result. */
export async function runEmbedded(
  modulePath: string,
  args: JobArgs = {},
  settings: Partial<JobSettings> = {},
  options: EmbeddedRunOptions = {},
): Promise<{ lines: string[]; result: JobResult }> {
  const { jobGraph, code } = prepareJob(modulePath, args, settings);
  const lines: string[] = [];
  const result = await runJobEmbedded(jobGraph, code, {
    ...options,
    onOutput: (l, attempt) => {
      lines.push(...l);
      options.onOutput?.(l, attempt);
    },
    onOutputRestart: (attempt) => {
      lines.length = 0;
      options.onOutputRestart?.(attempt);
    },
  });
  return { lines, result };
}
