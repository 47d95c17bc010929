import { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import { buildExecutionGraph, countTasks } from '../../../runtime/graph/execution-graph';
import { createJobGraph } from '../../../runtime/graph/job-graph';
import { streamGraphFromEnvironment } from '../../../runtime/graph/stream-graph';

describe('execution graph', () => {
  const env = new StreamExecutionEnvironment({ parallelism: 3, chaining: false });
  const source = env.fromSequence(1, 100).name('src');
  source
    .map((x) => x)
    .name('fwd')
    .keyBy((x) => x % 5)
    .sum()
    .name('sum')
    .setParallelism(2)
    .print()
    .setParallelism(2);
  const jobGraph = createJobGraph(streamGraphFromEnvironment('job', env));
  const vertices = buildExecutionGraph(jobGraph, 'job1', 4);

  it('expands every vertex into parallelism subtasks', () => {
    expect(countTasks(jobGraph)).toBe(3 + 3 + 2 + 2);
    expect(vertices).toHaveLength(10);
  });

  it('connects forward edges one to one and other edges all to all', () => {
    const fwd = vertices.filter((v) => jobGraph.vertices.find((j) => j.id === v.vertexId)!.name === 'fwd');
    for (const v of fwd) {
      expect(v.inputs[0]!.channels.map((c) => c.peerSubtask)).toEqual([v.subtaskIndex]);
      expect(v.outputs[0]!.channels.map((c) => c.peerSubtask)).toEqual([0, 1]); // hash to 2 sum subtasks
    }
    const sum = vertices.filter((v) => jobGraph.vertices.find((j) => j.id === v.vertexId)!.name === 'sum');
    for (const v of sum) expect(v.inputs[0]!.channels.map((c) => c.peerSubtask)).toEqual([0, 1, 2]);
  });

  it('gives each channel one id seen by both ends, including job and attempt', () => {
    const produced = vertices.flatMap((v) => v.outputs.flatMap((o) => o.channels.map((c) => c.id))).sort();
    const consumed = vertices.flatMap((v) => v.inputs.flatMap((i) => i.channels.map((c) => c.id))).sort();
    expect(produced).toEqual(consumed);
    expect(new Set(produced).size).toBe(produced.length);
    expect(produced.every((id) => id.startsWith('job1/4/'))).toBe(true);
  });
});
