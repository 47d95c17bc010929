import { channelId } from './channel-id';
import type { JobEdge, JobGraph, JobVertex } from './job-graph';

/**
 * The execution graph (docs/architecture.md §3): every vertex expanded to `parallelism` subtasks and every
 * job edge to channels between producer and consumer subtasks. Forward edges connect subtask i
 * to subtask i; the other partitioners connect every producer to every consumer.
 */
export interface ExecutionVertex {
  readonly vertexId: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /** One gate per incoming job edge; channels ordered by producer subtask. */
  readonly inputs: readonly InputGateSpec[];
  /** One partition per outgoing job edge; channels ordered by consumer subtask. */
  readonly outputs: readonly OutputPartitionSpec[];
}

export interface ChannelSpec {
  readonly id: string;
  /** The subtask at the other end of the channel. */
  readonly peerVertex: string;
  readonly peerSubtask: number;
}

export interface InputGateSpec {
  readonly edge: JobEdge;
  readonly channels: readonly ChannelSpec[];
}

export interface OutputPartitionSpec {
  readonly edge: JobEdge;
  readonly channels: readonly ChannelSpec[];
}

export function buildExecutionGraph(jobGraph: JobGraph, jobId: string, attempt: number): ExecutionVertex[] {
  const vertices = new Map(jobGraph.vertices.map((v) => [v.id, v]));
  const result: ExecutionVertex[] = [];
  for (const vertex of jobGraph.vertices) {
    for (let subtask = 0; subtask < vertex.parallelism; subtask++) {
      result.push({
        vertexId: vertex.id,
        subtaskIndex: subtask,
        parallelism: vertex.parallelism,
        inputs: jobGraph.edges
          .filter((e) => e.targetVertex === vertex.id)
          .map((edge) => ({
            edge,
            channels: inputChannels(edge, vertices.get(edge.sourceVertex)!, subtask, jobId, attempt),
          })),
        outputs: jobGraph.edges
          .filter((e) => e.sourceVertex === vertex.id)
          .map((edge) => ({
            edge,
            channels: outputChannels(edge, vertices.get(edge.targetVertex)!, subtask, jobId, attempt),
          })),
      });
    }
  }
  return result;
}

function inputChannels(
  edge: JobEdge,
  producer: JobVertex,
  consumerSubtask: number,
  jobId: string,
  attempt: number,
): ChannelSpec[] {
  const producers = edge.partitioner === 'forward' ? [consumerSubtask] : range(producer.parallelism);
  return producers.map((p) => ({
    id: channelId(jobId, attempt, edge.id, p, consumerSubtask),
    peerVertex: producer.id,
    peerSubtask: p,
  }));
}

function outputChannels(
  edge: JobEdge,
  consumer: JobVertex,
  producerSubtask: number,
  jobId: string,
  attempt: number,
): ChannelSpec[] {
  const consumers = edge.partitioner === 'forward' ? [producerSubtask] : range(consumer.parallelism);
  return consumers.map((c) => ({
    id: channelId(jobId, attempt, edge.id, producerSubtask, c),
    peerVertex: consumer.id,
    peerSubtask: c,
  }));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Total number of subtasks (tasks) of a job graph. */
export function countTasks(jobGraph: JobGraph): number {
  return jobGraph.vertices.reduce((sum, v) => sum + v.parallelism, 0);
}
