import type { ResourceLimits } from 'node:worker_threads';
import type { TaskManagerRecord } from '../coordination/slot-registry';
import type { SerializedError } from '../error-wire';
import type {
  AcknowledgeCheckpointMessage,
  DeclineCheckpointMessage,
  TaskMetricsMessage,
  TaskOutputMessage,
  TaskRef,
  TaskStateMessage,
} from '../rpc/control-protocol';
import type { BlobStore } from '../storage/blob-store';
import { CheckpointTransfer } from '../taskmanager/checkpoint-transfer';
import type { Logger } from '../util/logger';
import { createLogger } from '../util/logger';
import type {
  CheckpointNotice,
  CheckpointTrigger,
  TaskDeployment,
  TaskExecutorGateway,
} from '../jobmanager/task-executor-gateway';
import type { ChannelProvider } from '../network/channel-provider';
import type { StateSettings } from '../state/state-backend-factory';
import type { TaskEvents, TaskKey } from '../taskmanager/task-executor';
import { TaskExecutor } from '../taskmanager/task-executor';
import type { TaskBlobAccess } from '../taskmanager/task-blob-access';
import type { ExecutionState, TaskMetrics } from '../deployment/execution-state';

/** A job master's task callbacks: what a control server calls for reports off the wire. */
export interface TaskReportSink {
  onTaskState(m: TaskStateMessage): void;
  onTaskOutput(m: TaskOutputMessage): void | Promise<void>;
  onTaskMetrics(m: TaskMetricsMessage): void;
  acknowledgeCheckpoint(m: AcknowledgeCheckpointMessage): void;
  declineCheckpoint(m: DeclineCheckpointMessage): void;
  onTaskEndOfInput(m: TaskRef): void;
}

export interface InProcessTaskManagerOptions {
  readonly record: TaskManagerRecord;
  /**
   * Shared by every TaskManager of the MiniCluster: all task threads live in this process, so
   * every channel is a local MessageChannel, whichever TaskManager holds its ends.
   */
  readonly channels: ChannelProvider;
  /** The job master a job's reports go to; undefined once the job is gone. */
  readonly jobMaster: (jobId: string) => TaskReportSink | undefined;
  /** The local path of a job module by its artifact: nothing is fetched in one process. */
  readonly modulePath: (artifact: string) => string;
  /** Told of every report too, before the job master (embedded runs print and gather from here). */
  readonly listener?: Partial<TaskEvents>;
  /**
   * Limits of every task thread. Default none, whatever heap the slot carries: embedded runs
   * share this process's memory as they always did.
   */
  readonly resourceLimits?: ResourceLimits;
  /** Where tasks keep state. */
  readonly state: StateSettings;
  /** Answers the tasks' blob requests (`s3://` paths); without it they are refused. */
  readonly blobAccess?: TaskBlobAccess;
  /** Where checkpoint state is uploaded to and restored from. */
  readonly blobStore: BlobStore;
  readonly logger?: Logger;
}

/**
 * A TaskManager inside the MiniCluster's process (Flink's MiniCluster runs real TaskExecutors):
 * the real task executor, one thread per subtask, reached by the job master through the
 * `TaskExecutorGateway` port directly instead of over a control connection. It reports into
 * the job master's callbacks as the job manager's control server does.
 */
export class InProcessTaskManager implements TaskExecutorGateway {
  private readonly executor: TaskExecutor;
  private readonly checkpoints: CheckpointTransfer;

  constructor(private readonly options: InProcessTaskManagerOptions) {
    const listener = options.listener ?? {};
    const report = (jobId: string): TaskReportSink | undefined => options.jobMaster(jobId);
    this.checkpoints = new CheckpointTransfer(options.blobStore);
    const checkpointEvents = this.checkpoints.taskEvents({
      acknowledge: (m) => report(m.jobId)?.acknowledgeCheckpoint(m),
      decline: (m) => report(m.jobId)?.declineCheckpoint(m),
      endOfInput: (task) => report(task.jobId)?.onTaskEndOfInput(task),
      log: options.logger ?? createLogger('minicluster-tm', { taskManagerId: options.record.id }),
    });
    this.executor = new TaskExecutor(options.channels, {
      onStateChange: (task: TaskKey, state: ExecutionState, error?: SerializedError) => {
        listener.onStateChange?.(task, state, error);
        report(task.jobId)?.onTaskState({ ...task, state, ...(error ? { error } : {}) });
      },
      // The job master's promise is its back pressure: the task waits while its output is taken.
      onOutput: (task: TaskKey, lines: string[], bytes: number) => {
        void listener.onOutput?.(task, lines, bytes);
        return report(task.jobId)?.onTaskOutput({ jobId: task.jobId, attempt: task.attempt, lines });
      },
      onResults: (task: TaskKey, results: unknown[], bytes: number) => {
        void listener.onResults?.(task, results, bytes);
        return report(task.jobId)?.onTaskOutput({ jobId: task.jobId, attempt: task.attempt, results });
      },
      onMetrics: (task: TaskKey, metrics: TaskMetrics) => {
        listener.onMetrics?.(task, metrics);
        report(task.jobId)?.onTaskMetrics({ ...task, metrics });
      },
      ...(options.blobAccess ? { onBlobRequest: options.blobAccess.handle.bind(options.blobAccess) } : {}),
      ...checkpointEvents,
    });
  }

  get record(): TaskManagerRecord {
    return this.options.record;
  }

  async deployTask(deployment: TaskDeployment): Promise<void> {
    const { tdd } = deployment;
    const modulePath = this.options.modulePath(deployment.artifact);
    const limits = this.options.resourceLimits;
    // A corrupt or missing object rejects with SLUICE_CHECKPOINT_CORRUPT naming it.
    const restore = tdd.restore ? await this.checkpoints.download(tdd.restore) : undefined;
    this.checkpoints.register(tdd);
    this.executor.deploy(
      { ...tdd, code: { ...tdd.code, modulePath } },
      {
        taskManagerId: this.options.record.id,
        state: this.options.state,
        ...(this.options.blobAccess?.scope ? { s3Scope: this.options.blobAccess.scope } : {}),
        ...(restore ? { restore } : {}),
        ...(limits ? { resourceLimits: limits } : {}),
      },
    );
  }

  async cancelJob(jobId: string, attempt: number): Promise<void> {
    await this.executor.cancelJob(jobId, attempt);
    this.checkpoints.forget(jobId, attempt);
  }

  triggerCheckpoint(trigger: CheckpointTrigger): Promise<void> {
    const { jobId, attempt, checkpointId, timestamp, stop } = trigger;
    for (const task of trigger.tasks)
      this.executor.triggerCheckpoint({ jobId, attempt, ...task }, checkpointId, timestamp, stop);
    return Promise.resolve();
  }

  notifyCheckpointComplete(notice: CheckpointNotice): Promise<void> {
    this.executor.notifyCheckpoint(notice.jobId, notice.attempt, notice.checkpointId, 'complete');
    return Promise.resolve();
  }

  abortCheckpoint(notice: CheckpointNotice): Promise<void> {
    this.executor.notifyCheckpoint(notice.jobId, notice.attempt, notice.checkpointId, 'aborted');
    return Promise.resolve();
  }

  /** Tasks whose threads have not exited yet. */
  runningTasks(): TaskKey[] {
    return this.executor.runningTasks();
  }

  close(): Promise<void> {
    return this.executor.close();
  }
}
