import type { Command } from 'commander';
import type { JobSummary } from '../jobmanager/gateway';
import { connectToCluster } from './cluster-client';
import { formatDuration, formatStateCounts, formatTable, formatTime, truncate } from './format';
import type { ClusterFlags } from './options';
import { addClusterOptions } from './options';

interface ListOptions extends ClusterFlags {
  json?: boolean;
}

export function registerListCommand(program: Command): void {
  const command = program
    .command('list')
    .description(
      'List the jobs of a job manager, newest first: id, name, status, start, duration, tasks by state',
    )
    .option('--json', 'print the job summaries as JSON');
  addClusterOptions(command).action(async (options: ListOptions) => {
    const jobs = await (await connectToCluster(options)).listJobs();
    const newestFirst = [...jobs].sort((a, b) => b.startTime - a.startTime);
    process.stdout.write(
      options.json ? `${JSON.stringify(newestFirst, null, 2)}\n` : `${formatJobList(newestFirst)}\n`,
    );
  });
}

/** The `sluice list` table (or a note when there are no jobs). */
export function formatJobList(jobs: readonly JobSummary[]): string {
  if (jobs.length === 0) return 'no jobs';
  return formatTable(
    ['job id', 'name', 'status', 'started', 'duration', 'tasks'],
    jobs.map((job) => [
      job.jobId,
      truncate(job.name, 40),
      job.status,
      formatTime(job.startTime),
      formatDuration(job.durationMs),
      formatStateCounts(job.tasks),
    ]),
  );
}
