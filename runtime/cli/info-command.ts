import type { Command } from 'commander';
import type { JobDetails, VertexDetails } from '../jobmanager/gateway';
import type { JobCheckpointInfo } from './checkpoint-info';
import { fetchCheckpointInfo, formatCheckpointInfo } from './checkpoint-info';
import { connectToCluster } from './cluster-client';
import { formatDuration, formatStateCounts, formatTable, formatTime, truncate } from './format';
import { subtaskInputWatermark } from '../jobmanager/subtask-watermarks';
import type { ClusterFlags } from './options';
import { addClusterOptions, jobIdArgument } from './options';

interface InfoOptions extends ClusterFlags {
  json?: boolean;
}

export function registerInfoCommand(program: Command): void {
  const command = program
    .command('info')
    .description(
      'Show a job: status, restarts, failure, checkpoints (counts, latest completed, failed and restored), per vertex its parallelism, task states, records, busy time and back pressure, per operator its records and watermarks, and per subtask its current input watermark',
    )
    .argument('<jobId>', 'id of the job (see sluice list)', jobIdArgument)
    .option('--json', 'print the job details (with `checkpoints: { config, stats }`) as JSON');
  addClusterOptions(command).action(async (jobId: string, options: InfoOptions) => {
    const client = await connectToCluster(options);
    const details = await client.getJob(jobId);
    const checkpoints = await fetchCheckpointInfo(client, jobId);
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ ...details, ...(checkpoints ? { checkpoints } : {}) }, null, 2)}\n`
        : `${formatJobInfo(details, checkpoints)}\n`,
    );
  });
}

/**
 * The `sluice info` text: a header of job facts, the job's checkpoints (when the job manager
 * has them), then one table row per vertex and one per operator.
 */
export function formatJobInfo(job: JobDetails, checkpoints?: JobCheckpointInfo): string {
  const ended = job.endTime !== undefined ? `, ended ${formatTime(job.endTime)}` : '';
  const header = [
    `job       ${job.name} (${job.jobId})`,
    `status    ${job.status} (attempt ${job.attempt}, ${job.restarts} restart${job.restarts === 1 ? '' : 's'})`,
    ...(job.statusDetail ? [`          ${job.statusDetail}`] : []),
    `started   ${formatTime(job.startTime)}${ended}, duration ${formatDuration(job.durationMs)}`,
    ...(job.failure ? [`failure   ${job.failure.message} (${formatTime(job.failure.timestamp)})`] : []),
    ...(job.failure?.jobStack ? job.failure.jobStack.split('\n').map((line) => `          ${line}`) : []),
  ];
  const table = formatTable(
    ['vertex', 'parallelism', 'status', 'tasks', 'records in', 'records out', 'busy', 'back pressure'],
    job.vertices.map(vertexRow),
  );
  // Only windows and interval joins drop late records: the column appears when the job has one.
  const late = job.vertices.some((v) => v.operators.some((o) => o.lateRecordsDropped !== undefined));
  const operators = formatTable(
    [
      'vertex',
      'operator',
      'records in',
      'records out',
      ...(late ? ['late dropped'] : []),
      'input watermark',
      'output watermark',
    ],
    job.vertices.flatMap((v) =>
      v.operators.map((o) => [
        truncate(v.name, 40),
        truncate(o.name, 40),
        String(o.recordsIn),
        String(o.recordsOut),
        ...(late ? [o.lateRecordsDropped === undefined ? '-' : String(o.lateRecordsDropped)] : []),
        formatWatermark(o.currentInputWatermark),
        formatWatermark(o.currentOutputWatermark),
      ]),
    ),
  );
  const watermarks = job.vertices.flatMap((v) =>
    v.subtasks.flatMap((s) => {
      const watermark = subtaskInputWatermark(s);
      return watermark === undefined
        ? []
        : [[truncate(v.name, 40), String(s.subtask), formatWatermark(watermark)]];
    }),
  );
  const sections = [
    header.join('\n'),
    ...(checkpoints ? [formatCheckpointInfo(checkpoints)] : []),
    table,
    operators,
    ...(watermarks.length > 0
      ? [formatTable(['vertex', 'subtask', 'current input watermark'], watermarks)]
      : []),
  ];
  return sections.join('\n\n');
}

/** A watermark as ms and ISO time (event time is usually epoch ms), '-' when there is none yet. */
function formatWatermark(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : `${ms} (${date.toISOString()})`;
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
    // Flink's time split, per second of the busiest subtask: the bottleneck is the busy one.
    `${vertex.busyTimeMsPerSecond} ms/s`,
    `${level} (${Math.round(ratio * 100)}%)`,
  ];
}
