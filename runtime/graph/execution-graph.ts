import { channelId } from './channel-id';
import type { JobEdge, JobGraph, JobVertex } from './job-graph';

/**
 * The execution graph (docs/architecture.md §3): every vertex expanded to `parallelism` subtasks and every
 * job edge to channels between producer and consumer subtasks. Forward edges connect subtask i
 * to subtask i; rescale edges are pointwise (each producer to a local range of consumers, or each
 * consumer to a local range of producers, see `pointwiseRange`); the other partitioners connect
 * every producer to every consumer.
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
            channels: inputChannels(edge, vertices.get(edge.sourceVertex)!, vertex, subtask, jobId, attempt),
          })),
        outputs: jobGraph.edges
          .filter((e) => e.sourceVertex === vertex.id)
          .map((edge) => ({
            edge,
            channels: outputChannels(edge, vertex, vertices.get(edge.targetVertex)!, subtask, jobId, attempt),
          })),
      });
    }
  }
  return result;
}

function inputChannels(
  edge: JobEdge,
  producer: JobVertex,
  consumer: JobVertex,
  consumerSubtask: number,
  jobId: string,
  attempt: number,
): ChannelSpec[] {
  const producers =
    edge.partitioner === 'forward'
      ? [consumerSubtask]
      : edge.partitioner === 'rescale'
        ? pointwiseProducers(consumerSubtask, producer.parallelism, consumer.parallelism)
        : range(producer.parallelism);
  return producers.map((p) => ({
    id: channelId(jobId, attempt, edge.id, p, consumerSubtask),
    peerVertex: producer.id,
    peerSubtask: p,
  }));
}

function outputChannels(
  edge: JobEdge,
  producer: JobVertex,
  consumer: JobVertex,
  producerSubtask: number,
  jobId: string,
  attempt: number,
): ChannelSpec[] {
  const consumers =
    edge.partitioner === 'forward'
      ? [producerSubtask]
      : edge.partitioner === 'rescale'
        ? pointwiseConsumers(producerSubtask, producer.parallelism, consumer.parallelism)
        : range(consumer.parallelism);
  return consumers.map((c) => ({
    id: channelId(jobId, attempt, edge.id, producerSubtask, c),
    peerVertex: consumer.id,
    peerSubtask: c,
  }));
}

/**
 * Flink's pointwise connection (rescale): with fewer producers than consumers, producer p feeds
 * the consumers [ceil(p*C/P), ceil((p+1)*C/P)); with at least as many producers, consumer c
 * reads the producers [floor(c*P/C), floor((c+1)*P/C)). Each subtask of the smaller side gets a
 * contiguous block of the larger side, each subtask of the larger side exactly one peer.
 */
export function pointwiseConsumers(producer: number, producers: number, consumers: number): number[] {
  if (producers < consumers) return block(producer, producers, consumers, Math.ceil);
  return [owner(producer, consumers, producers, Math.floor)];
}

export function pointwiseProducers(consumer: number, producers: number, consumers: number): number[] {
  if (producers >= consumers) return block(consumer, consumers, producers, Math.floor);
  return [owner(consumer, producers, consumers, Math.ceil)];
}

/** The block of the larger side (`large` subtasks) that subtask `i` of the smaller side (`small`) owns. */
function block(i: number, small: number, large: number, round: (x: number) => number): number[] {
  const from = round((i * large) / small);
  return range(round(((i + 1) * large) / small) - from).map((j) => from + j);
}

/** The subtask of the smaller side whose block holds subtask `j` of the larger side. */
function owner(j: number, small: number, large: number, round: (x: number) => number): number {
  let i = Math.min(small - 1, Math.floor((j * small) / large));
  while (i > 0 && round((i * large) / small) > j) i--;
  while (i < small - 1 && round(((i + 1) * large) / small) <= j) i++;
  return i;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Total number of subtasks (tasks) of a job graph. */
export function countTasks(jobGraph: JobGraph): number {
  return jobGraph.vertices.reduce((sum, v) => sum + v.parallelism, 0);
}
