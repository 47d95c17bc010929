import { BadRequestError } from '../../../errors';

/**
 * Names of a file sink's part files (Flink's FileSink `part-<uid>-<subtask>-<n>`):
 * - committed: `part-<runId>-<subtask>-<n>.txt`, the only names matching `<dir>/part-*`;
 * - in progress: `.part-<runId>-<subtask>[.a<attempt>].inprogress` (hidden, one per writer at a
 *   time; per attempt, so a task of a canceled attempt still writing during a failover never
 *   appends to, truncates or stages the file of the next attempt's task on the same directory);
 * - staged: `.part-<runId>-<subtask>-<n>.txt.pending` (hidden, waiting for its commit).
 * `runId` is the job id, the same in every attempt of one job and new for every submission, so a
 * restored commit finds the files it staged and another run's files are never overwritten.
 * With checkpointing `n` is the id of the checkpoint that staged the part (unique within a job,
 * across restarts); without, a counter from 0.
 */
export interface PartNames {
  readonly inProgress: string;
  staged(n: number): string;
  committed(n: number): string;
}

/** What a committable holds: the staged name and the name it is committed under (both relative to the sink's directory). */
export interface FileSinkCommittable {
  readonly staged: string;
  readonly final: string;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const COMMITTED = /^part-[A-Za-z0-9_-]{1,64}-\d+-\d+\.txt$/;

export function partNames(runId: string, subtaskIndex: number, attempt?: number): PartNames {
  if (!RUN_ID.test(runId)) {
    throw new BadRequestError(`file sink: run id ${JSON.stringify(runId)} must be 1-64 of [A-Za-z0-9_-]`);
  }
  const base = `part-${runId}-${subtaskIndex}`;
  return {
    inProgress: attempt === undefined ? `.${base}.inprogress` : `.${base}.a${attempt}.inprogress`,
    staged: (n) => `.${base}-${n}.txt.pending`,
    committed: (n) => `${base}-${n}.txt`,
  };
}

/**
 * Checks a committable restored from a checkpoint before acting on it: both names are plain file
 * names of this sink's shapes, so no state can make `commit` touch anything else.
 */
export function checkCommittable(value: unknown): FileSinkCommittable {
  const c = value as Partial<FileSinkCommittable> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.final !== 'string' ||
    typeof c.staged !== 'string' ||
    !COMMITTED.test(c.final) ||
    c.staged !== `.${c.final}.pending`
  ) {
    throw new BadRequestError(`file sink: not a committable of this sink: ${JSON.stringify(value)}`);
  }
  return { staged: c.staged, final: c.final };
}
