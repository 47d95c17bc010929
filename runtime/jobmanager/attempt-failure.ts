import type { SerializedError } from '../error-wire';
import type { JobGraph } from '../graph/job-graph';
import type { TaskStateMessage } from '../rpc/control-protocol';
import type { FailureLocation } from './exception-history';
import type { RestartStrategy } from './restart-strategy';

/**
 * Failures no restart can help (Flink's non-recoverable errors): a task that rebuilds another
 * graph or an invalid job fails the same way every time, and missing slots were already
 * waited for during slot.request.timeout.
 */
export const NO_RESTART_CODES: ReadonlySet<string> = new Set([
  'SLUICE_NO_RESOURCES',
  'SLUICE_GRAPH_MISMATCH',
  'SLUICE_INVALID_JOB',
  'SLUICE_SAVEPOINT_INCOMPATIBLE',
]);

/** Why the running attempt ended, if not by finishing. */
export class AttemptFailure extends Error {
  constructor(
    readonly serialized: SerializedError,
    readonly location: FailureLocation = {},
  ) {
    super(serialized.message);
  }
}

/** The restart delay for `failure` by the job's restart strategy; undefined: the job fails for good. */
export function restartDelay(failure: AttemptFailure, strategy: RestartStrategy): number | undefined {
  const code = failure.serialized.code;
  return code !== undefined && NO_RESTART_CODES.has(code) ? undefined : strategy.onFailure(Date.now());
}

/** A task's FAILED report as its attempt's failure, naming the task (`'name (i/n)'`) and where it ran. */
export function taskFailure(
  jobGraph: JobGraph,
  m: Pick<TaskStateMessage, 'vertexId' | 'subtaskIndex' | 'error'>,
  taskManagerId: string | undefined,
): AttemptFailure {
  const error = m.error ?? { name: 'Error', message: 'task failed' };
  const v = jobGraph.vertices.find((x) => x.id === m.vertexId);
  const taskName = `${v?.name ?? m.vertexId} (${m.subtaskIndex + 1}/${v?.parallelism ?? '?'})`;
  return new AttemptFailure(
    { ...error, message: `task '${taskName}' failed: ${error.message}` },
    {
      vertexId: m.vertexId,
      taskName,
      subtask: m.subtaskIndex,
      ...(taskManagerId ? { taskManagerId } : {}),
    },
  );
}
