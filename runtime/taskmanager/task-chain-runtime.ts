import { DEFAULT_AUTO_WATERMARK_INTERVAL_MS } from '../api/job-settings';
import type { ProcessingTimeService, RecordTimestamp } from '../api/operators/stream-operator';
import type { TaskDeploymentDescriptor } from '../deployment/task-deployment';
import { taskName } from '../deployment/task-deployment';
import type { StreamGraph } from '../graph/stream-graph';
import type { TaskStateSettings } from '../state/state-backend-factory';
import type { ChainRuntime } from './operator-chain';
import type { S3PathAccess } from '../storage/s3-path';
import type { TaskMailbox } from './task-mailbox';
import type { TaskOutputs } from './task-outputs';
import type { TaskReporter } from './task-reporter';

/** What the task itself provides its chain: its services and the writers of its outputs. */
export interface TaskServices {
  readonly outputs: Pick<TaskOutputs, 'writersByOperator' | 'writerTags'>;
  readonly processingTime: ProcessingTimeService;
  readonly mailbox: TaskMailbox;
  readonly recordTimestamp: RecordTimestamp;
}

/** Everything the operator chain of a task's subtask runs with, from its deployment and the task. */
export function createChainRuntime(
  tdd: TaskDeploymentDescriptor,
  graph: StreamGraph,
  reporter: TaskReporter,
  state: TaskStateSettings,
  options: { readonly taskManagerId?: string; readonly s3?: S3PathAccess },
  services: TaskServices,
): ChainRuntime {
  const networkFeeders = new Map<string, number>();
  for (const gate of tdd.inputs) {
    const key = `${gate.targetOperator}#${gate.targetInput}`;
    networkFeeders.set(key, (networkFeeders.get(key) ?? 0) + 1);
  }
  return {
    subtaskIndex: tdd.subtaskIndex,
    parallelism: tdd.parallelism,
    taskName: taskName(tdd),
    attemptNumber: tdd.attempt,
    jobParameters: tdd.code.args,
    taskManagerId: options.taskManagerId ?? 'embedded',
    sinkContext: {
      emitOutput: (line: string) => reporter.output(line),
      emitResult: (v: unknown) => reporter.result(v),
      attemptNumber: tdd.attempt,
    },
    connector: { jobId: tdd.jobId, ...(options.s3 ? { s3: options.s3 } : {}) },
    writersByOperator: services.outputs.writersByOperator,
    writerTags: services.outputs.writerTags,
    networkFeeders,
    state,
    ...(tdd.checkpointing ? { checkpointing: tdd.checkpointing } : {}),
    processingTime: services.processingTime,
    mailbox: services.mailbox,
    recordTimestamp: services.recordTimestamp,
    autoWatermarkIntervalMs: graph.settings.autoWatermarkIntervalMs ?? DEFAULT_AUTO_WATERMARK_INTERVAL_MS,
  };
}
