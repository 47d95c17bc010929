import type {
  CheckpointDetails,
  CheckpointSummaryStats,
  JobCheckpointConfig,
  JobCheckpointStats,
  RestoredCheckpointStats,
  SubtaskCheckpointStats,
} from '../../runtime/checkpoint/checkpoint-stats';
import { ConflictError, NotFoundError } from '../../runtime/errors';
import type { CheckpointGateway } from '../../runtime/jobmanager/checkpoint-gateway';
import type { TestingJobManagerGateway } from './testing-gateway';

/** The config of a job that does not checkpoint (what the double answers until `enable`). */
export const DISABLED_CHECKPOINT_CONFIG: JobCheckpointConfig = {
  enabled: false,
  mode: 'exactly-once',
  timeoutMs: 600_000,
  minPauseMs: 0,
  maxConcurrent: 1,
  tolerableFailures: 0,
  retainedCheckpoints: 1,
  externalization: 'delete-on-cancellation',
  stateBackend: 'heap',
  checkpointStorage: 'file:///tmp/sluice-testing/checkpoints',
};

/** Checkpoints the history keeps, newest first (`web.checkpoints.history`). */
const HISTORY_SIZE = 10;

interface JobCheckpoints {
  config: JobCheckpointConfig;
  nextId: number;
  /** Oldest first; the stats view reverses and bounds it. */
  readonly checkpoints: CheckpointDetails[];
  restored?: RestoredCheckpointStats;
  readonly pending: {
    id: number;
    resolve: (r: { checkpointId: number; externalPath: string }) => void;
    reject: (e: Error) => void;
  }[];
}

/**
 * TEST DOUBLE of the job manager's checkpoint side: scripted statistics and manual triggers
 * that stay in progress until a test finishes them. Knows jobs through the testing job
 * manager gateway (`NotFoundError` for an unknown one, `ConflictError` for a trigger on a job
 * that is not RUNNING or does not checkpoint), as the real gateway documents.
 */
export class TestingCheckpointGateway implements CheckpointGateway {
  private readonly jobs = new Map<string, JobCheckpoints>();

  constructor(private readonly jobManager: TestingJobManagerGateway) {}

  async checkpointStats(jobId: string): Promise<JobCheckpointStats> {
    const job = this.of(jobId, 'checkpointStats');
    const newestFirst = [...job.checkpoints].reverse();
    const count = (status: CheckpointSummaryStats['status']) =>
      job.checkpoints.filter((c) => c.status === status).length;
    const completed = newestFirst.find((c) => c.status === 'COMPLETED');
    const failed = newestFirst.find((c) => c.status === 'FAILED');
    return {
      counts: {
        restored: job.restored ? 1 : 0,
        total: job.checkpoints.length,
        inProgress: count('IN_PROGRESS'),
        completed: count('COMPLETED'),
        failed: count('FAILED'),
      },
      latest: {
        ...(completed ? { completed: summary(completed) } : {}),
        ...(failed ? { failed: summary(failed) } : {}),
        ...(job.restored ? { restored: job.restored } : {}),
      },
      history: newestFirst.slice(0, HISTORY_SIZE).map(summary),
    };
  }

  async checkpointConfig(jobId: string): Promise<JobCheckpointConfig> {
    return this.of(jobId, 'checkpointConfig').config;
  }

  async checkpointDetails(jobId: string, checkpointId: number): Promise<CheckpointDetails> {
    const job = this.of(jobId, 'checkpointDetails');
    const inHistory = [...job.checkpoints].reverse().slice(0, HISTORY_SIZE);
    const found = inHistory.find((c) => c.id === checkpointId);
    if (!found) throw new NotFoundError(`job ${jobId} has no checkpoint ${checkpointId} in its history`);
    return found;
  }

  triggerCheckpoint(jobId: string): Promise<{ checkpointId: number; externalPath: string }> {
    const job = this.of(jobId, 'triggerCheckpoint');
    const status = this.jobManager.job(jobId).status;
    if (!job.config.enabled) return Promise.reject(new ConflictError(`job ${jobId} does not checkpoint`));
    if (status !== 'RUNNING') return Promise.reject(new ConflictError(`job ${jobId} is ${status}`));
    const checkpoint = this.record(jobId, { status: 'IN_PROGRESS', trigger: 'manual' });
    return new Promise((resolve, reject) => job.pending.push({ id: checkpoint.id, resolve, reject }));
  }

  // ---- driving the double from tests ----

  /** Turns checkpointing on for a job (with `config` over the defaults). */
  enable(jobId: string, config: Partial<JobCheckpointConfig> = {}): void {
    const job = this.of(jobId);
    job.config = {
      ...job.config,
      enabled: true,
      intervalMs: 10_000,
      checkpointStorage: `file:///tmp/sluice-testing/checkpoints/${jobId}`,
      ...config,
    };
  }

  /**
   * Adds a checkpoint to the history with the next id; unset fields get plausible values (one
   * acknowledged subtask per vertex subtask of the job, sizes summing to `stateSize`).
   */
  record(
    jobId: string,
    checkpoint: Partial<Omit<CheckpointDetails, 'id'>> & Pick<CheckpointDetails, 'status'>,
  ): CheckpointDetails {
    const job = this.of(jobId);
    const id = job.nextId++;
    const vertices = this.jobManager.job(jobId).submission.jobGraph.vertices;
    const triggerTimestamp = checkpoint.triggerTimestamp ?? Date.now();
    const done = checkpoint.status !== 'IN_PROGRESS';
    const subtaskCount = vertices.reduce((n, v) => n + v.parallelism, 0);
    const stateSize = checkpoint.stateSize ?? (checkpoint.status === 'COMPLETED' ? 1024 * subtaskCount : 0);
    const subtasks: SubtaskCheckpointStats[] = vertices.flatMap((v) =>
      Array.from({ length: v.parallelism }, (_, subtask) => ({
        vertexId: v.id,
        subtask,
        ...(done ? { ackTimestamp: triggerTimestamp + 40 + subtask } : {}),
        stateSize: done ? Math.floor(stateSize / subtaskCount) : 0,
        alignmentMs: done ? 3 : 0,
        syncMs: done ? 1 : 0,
        asyncMs: done ? 12 : 0,
        uploadMs: done ? 20 : 0,
      })),
    );
    const details: CheckpointDetails = {
      id,
      kind: 'checkpoint',
      trigger: 'periodic',
      triggerTimestamp,
      durationMs: done ? 45 : 0,
      stateSize,
      acknowledgedSubtasks: done && checkpoint.status === 'COMPLETED' ? subtaskCount : 0,
      totalSubtasks: subtaskCount,
      ...(checkpoint.status === 'COMPLETED'
        ? { externalPath: `${job.config.checkpointStorage}/chk-${id}` }
        : {}),
      ...(done ? { latestAckTimestamp: triggerTimestamp + 45 } : {}),
      subtasks,
      ...checkpoint,
    };
    job.checkpoints.push(details);
    return details;
  }

  /** Records that the job restored from checkpoint `id`. */
  setRestored(jobId: string, restored: RestoredCheckpointStats): void {
    this.of(jobId).restored = restored;
  }

  /** Manual triggers still waiting for `finishTrigger`. */
  pendingTriggers(jobId: string): number {
    return this.of(jobId).pending.length;
  }

  /** Completes (or, given an error, fails) the oldest pending manual trigger of a job. */
  finishTrigger(jobId: string, failure?: Error): CheckpointDetails {
    const job = this.of(jobId);
    const pending = job.pending.shift();
    if (!pending) throw new Error(`job ${jobId} has no pending manual checkpoint`);
    const index = job.checkpoints.findIndex((c) => c.id === pending.id);
    const before = job.checkpoints[index]!;
    const externalPath = `${job.config.checkpointStorage}/chk-${pending.id}`;
    const after: CheckpointDetails = failure
      ? { ...before, status: 'FAILED', failureMessage: failure.message, durationMs: 30 }
      : {
          ...before,
          status: 'COMPLETED',
          externalPath,
          durationMs: 30,
          stateSize: 4096,
          acknowledgedSubtasks: before.totalSubtasks,
          subtasks: before.subtasks.map((s) => ({
            ...s,
            ackTimestamp: before.triggerTimestamp + 30,
            stateSize: 4096 / before.totalSubtasks,
          })),
        };
    job.checkpoints[index] = after;
    if (failure) pending.reject(failure);
    else pending.resolve({ checkpointId: pending.id, externalPath });
    return after;
  }

  /** The job's record; with `call`, notes the gateway call in the job manager double's `calls`. */
  private of(jobId: string, call?: string): JobCheckpoints {
    if (call) this.jobManager.calls.push(call);
    this.jobManager.job(jobId); // NotFoundError for an unknown job
    let job = this.jobs.get(jobId);
    if (!job) {
      job = { config: DISABLED_CHECKPOINT_CONFIG, nextId: 1, checkpoints: [], pending: [] };
      this.jobs.set(jobId, job);
    }
    return job;
  }
}

function summary(details: CheckpointDetails): CheckpointSummaryStats {
  const { subtasks: _subtasks, ...rest } = details;
  return rest;
}
