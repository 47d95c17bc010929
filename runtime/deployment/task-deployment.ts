import type { JobArgs } from '../api/job';
import type { ResolvedConfig } from '../config';
import type { JobSettings } from '../api/job-settings';
import type { PartitionerKind } from '../api/transformation';
import type { ExecutionVertex } from '../graph/execution-graph';
import type { JobGraph } from '../graph/job-graph';
import type { TaskCheckpointing } from '../checkpoint/checkpointing-mode';
import type { TaskRestoreHandles } from '../checkpoint/state-handles';

/** Where a task finds its job's code and how to rebuild the graph exactly as submitted. */
export interface JobCode {
  /** Local path of the job module (source file or downloaded bundle). */
  readonly modulePath: string;
  readonly args: JobArgs;
  /** The settings `build` started from (before the job's own changes). */
  readonly buildSettings: Readonly<JobSettings>;
  readonly graphHash: string;
}

export interface NetworkSettings {
  readonly bufferTimeoutMs: number;
  readonly bufferSizeBytes: number;
  /** Credits a consumer grants per channel up front. */
  readonly initialCredit: number;
}

/** The exchange settings of the config (the buffer timeout comes from each job). */
export function networkSettingsFrom(config: ResolvedConfig): Omit<NetworkSettings, 'bufferTimeoutMs'> {
  return {
    bufferSizeBytes: config['taskmanager.network.buffer-size'],
    initialCredit: config['taskmanager.network.buffers-per-channel'],
  };
}

/** Everything a task thread needs to run one subtask of a chain (Flink's TaskDeploymentDescriptor). */
export interface TaskDeploymentDescriptor {
  readonly jobId: string;
  readonly jobName: string;
  readonly attempt: number;
  readonly code: JobCode;
  readonly vertexId: string;
  readonly vertexName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly inputs: readonly {
    readonly edgeId: string;
    readonly targetOperator: string;
    readonly targetInput: 0 | 1;
    readonly channels: readonly string[];
  }[];
  readonly outputs: readonly {
    readonly edgeId: string;
    readonly sourceOperator: string;
    readonly partitioner: PartitionerKind;
    readonly targetMaxParallelism: number;
    readonly channels: readonly string[];
  }[];
  readonly network: NetworkSettings;
  /** Present when the job checkpoints. */
  readonly checkpointing?: TaskCheckpointing;
  /** The state this subtask starts from (the TaskManager downloads it before the thread starts). */
  readonly restore?: TaskRestoreHandles;
}

/** Readable task name, as Flink shows it: `<vertex name> (<subtask+1>/<parallelism>)`. */
export function taskName(
  tdd: Pick<TaskDeploymentDescriptor, 'vertexName' | 'subtaskIndex' | 'parallelism'>,
): string {
  return `${tdd.vertexName} (${tdd.subtaskIndex + 1}/${tdd.parallelism})`;
}

export function createDeploymentDescriptor(
  jobId: string,
  attempt: number,
  jobGraph: JobGraph,
  code: JobCode,
  vertex: ExecutionVertex,
  network: NetworkSettings,
): TaskDeploymentDescriptor {
  const jobVertex = jobGraph.vertices.find((v) => v.id === vertex.vertexId)!;
  return {
    jobId,
    jobName: jobGraph.jobName,
    attempt,
    code,
    vertexId: vertex.vertexId,
    vertexName: jobVertex.name,
    subtaskIndex: vertex.subtaskIndex,
    parallelism: vertex.parallelism,
    inputs: vertex.inputs.map((gate) => ({
      edgeId: gate.edge.id,
      targetOperator: gate.edge.targetOperator,
      targetInput: gate.edge.targetInput,
      channels: gate.channels.map((c) => c.id),
    })),
    outputs: vertex.outputs.map((partition) => ({
      edgeId: partition.edge.id,
      sourceOperator: partition.edge.sourceOperator,
      partitioner: partition.edge.partitioner,
      targetMaxParallelism: partition.edge.targetMaxParallelism,
      channels: partition.channels.map((c) => c.id),
    })),
    network,
  };
}
