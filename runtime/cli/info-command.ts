import type { Command } from 'commander';
import type { JobDetails, VertexDetails } from '../jobmanager/gateway';
import { connectToCluster } from './cluster-client';
import { formatDuration, formatStateCounts, formatTable, formatTime, truncate } from './format';
import type { ClusterFlags } from './options';
import { addClusterOptions, jobIdArgument } from './options';

interface InfoOptions extends ClusterFlags {
  json?: boolean;
}

export function registerInfoCommand(program: Command): void {
  const command = program
    .command('info')
    .description(
      'Show a job: status, restarts, failure, and per vertex its parallelism, task states, records and back pressure',
    )
    .argument('<jobId>', 'id of the job (see sluice list)', jobIdArgument)
    .option('--json', 'print the job details as JSON');
  addClusterOptions(command).action(async (jobId: string, options: InfoOptions) => {
    const details = await (await connectToCluster(options)).getJob(jobId);
    process.stdout.write(
      options.json ? `${JSON.stringify(details, null, 2)}\n` : `${formatJobInfo(details)}\n`,
    );
  });
}

/** The `sluice info` text: a header of job facts, then one table row per vertex. */
export function formatJobInfo(job: JobDetails): string {
  const ended = job.endTime !== undefined ? `, ended ${formatTime(job.endTime)}` : '';
  const header = [
    `job       ${job.name} (${job.jobId})`,
    `status    ${job.status} (attempt ${job.attempt}, ${job.restarts} restart${job.restarts === 1 ? '' : 's'})`,
    ...(job.statusDetail ? [`          ${job.statusDetail}`] : []),
    `started   ${formatTime(job.startTime)}${ended}, duration ${formatDuration(job.durationMs)}`,
    ...(job.failure ? [`failure   ${job.failure.message} (${formatTime(job.failure.timestamp)})`] : []),
  ];
  const table = formatTable(
    ['vertex', 'parallelism', 'status', 'tasks', 'records in', 'records out', 'back pressure'],
    job.vertices.map(vertexRow),
  );
  return `${header.join('\n')}\n\n${table}`;
}

function vertexRow(vertex: VertexDetails): string[] {
  const states: Record<string, number> = {};
  for (const subtask of vertex.subtasks) states[subtask.state] = (states[subtask.state] ?? 0) + 1;
  const { ratio, level } = vertex.backPressure;
  return [
    truncate(vertex.name, 60),
    String(vertex.parallelism),
    vertex.status,
    formatStateCounts(states),
    String(vertex.recordsIn),
    String(vertex.recordsOut),
    `${level} (${Math.round(ratio * 100)}%)`,
  ];
}
