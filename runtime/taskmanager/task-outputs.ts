import type { RecordTimestamp } from '../api/operators/stream-operator';
import type { MessagePort } from 'node:worker_threads';
import type { TaskDeploymentDescriptor } from '../deployment/task-deployment';
import type { StreamGraph } from '../graph/stream-graph';
import { OutputChannel } from '../network/output-channel';
import { RecordWriter } from '../network/record-writer';

export interface TaskOutputs {
  /** Every output channel of the task, across its outgoing job edges. */
  readonly channels: OutputChannel[];
  readonly writers: RecordWriter[];
  /** Record writers of the task's outgoing job edges, by the operator that feeds them. */
  readonly writersByOperator: Map<string, RecordWriter[]>;
  /** The side output (OutputTag id) each writer of a side-output edge carries. */
  readonly writerTags: Map<RecordWriter, string>;
}

/** The producer ends of a task's outgoing job edges: one record writer per edge over its channels. */
export function createTaskOutputs(
  tdd: TaskDeploymentDescriptor,
  graph: StreamGraph,
  ports: ReadonlyMap<string, MessagePort>,
  onBacklogChange: (backlogged: boolean) => void,
  recordTimestamp?: RecordTimestamp,
): TaskOutputs {
  const edges = new Map(graph.edges.map((e) => [e.id, e]));
  const result: TaskOutputs = {
    channels: [],
    writers: [],
    writersByOperator: new Map(),
    writerTags: new Map(),
  };
  const { network, subtaskIndex } = tdd;
  for (const out of tdd.outputs) {
    const channels = out.channels.map(
      (id) =>
        new OutputChannel(id, portOf(ports, id), {
          bufferSizeBytes: network.bufferSizeBytes,
          recordsPerBuffer: network.bufferTimeoutMs === 0 ? 1 : undefined,
          onBacklogChange,
        }),
    );
    result.channels.push(...channels);
    const writer = new RecordWriter(
      channels,
      out.partitioner,
      edges.get(out.edgeId),
      out.targetMaxParallelism,
      subtaskIndex,
      recordTimestamp,
    );
    result.writers.push(writer);
    const tag = edges.get(out.edgeId)?.outputTag;
    if (tag !== undefined) result.writerTags.set(writer, tag);
    const feeding = result.writersByOperator.get(out.sourceOperator) ?? [];
    result.writersByOperator.set(out.sourceOperator, [...feeding, writer]);
  }
  return result;
}

export function portOf(ports: ReadonlyMap<string, MessagePort>, id: string): MessagePort {
  const port = ports.get(id);
  if (!port) throw new Error(`no port was provided for channel ${id}`);
  return port;
}
