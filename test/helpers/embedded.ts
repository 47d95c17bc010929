import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { JobArgs } from '../../runtime/api/job';
import type { JobSettings } from '../../runtime/api/job-settings';
import { loadConfig } from '../../runtime/config';
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

/**
 * Runs a fixture job that fails once (its `failAt` and `markerDir` arguments) embedded, with
 * checkpoints every 100 ms into a new directory under `base` and a 10 ms restart delay, so the
 * finishing attempt restores from a checkpoint. Returns what `runEmbedded` does.
 */
export async function runFailingOnce(
  job: string,
  args: JobArgs & { failAt: string },
  base: string,
  settings: Partial<JobSettings> = {},
): Promise<{ lines: string[]; result: JobResult }> {
  const dir = mkdtempSync(join(base, 'run-'));
  const blobs = join(dir, 'blobs');
  const config = loadConfig({ overrides: { 'storage.fs.dir': blobs }, env: {} });
  return runEmbedded(
    job,
    { ...args, markerDir: dir, checkpointsDir: blobs },
    { checkpointIntervalMs: 100, restartStrategy: { 'restart-strategy.fixed-delay.delay': 10 }, ...settings },
    { config },
  );
}

/** The numbers of the lines that start with `prefix` (`rec 12` → 12 for prefix `rec `). */
export function numbersAfter(lines: readonly unknown[], prefix: string): number[] {
  return (lines as string[]).filter((l) => l.startsWith(prefix)).map((l) => Number(l.slice(prefix.length)));
}
