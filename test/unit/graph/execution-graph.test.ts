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

describe('rescale edges are pointwise (Flink rule)', () => {
  /** Channels of a rescale edge from `producers` to `consumers` subtasks, as [producer, consumer] pairs. */
  function rescaleChannels(producers: number, consumers: number): { out: number[][]; in: number[][] } {
    const env = new StreamExecutionEnvironment({ parallelism: producers });
    env
      .fromSequence(1, 10)
      .rescale()
      .map((x) => x)
      .name('target')
      .setParallelism(consumers);
    const jobGraph = createJobGraph(streamGraphFromEnvironment('job', env));
    const vertices = buildExecutionGraph(jobGraph, 'j', 0);
    const target = jobGraph.vertices.find((v) => v.name.includes('target'))!.id;
    const producing = vertices.filter((v) => v.vertexId !== target);
    const consuming = vertices.filter((v) => v.vertexId === target);
    return {
      out: producing.map((v) => v.outputs[0]!.channels.map((c) => c.peerSubtask)),
      in: consuming.map((v) => v.inputs[0]!.channels.map((c) => c.peerSubtask)),
    };
  }

  it.each([
    // [P, C, consumers of each producer] — written out from Flink's EdgeManagerBuildUtil.connectPointwise.
    [
      2,
      4,
      [
        [0, 1],
        [2, 3],
      ],
    ],
    [
      2,
      5,
      [
        [0, 1, 2],
        [3, 4],
      ],
    ],
    [3, 3, [[0], [1], [2]]],
    [4, 2, [[0], [0], [1], [1]]],
    [5, 2, [[0], [0], [1], [1], [1]]],
    [
      3,
      7,
      [
        [0, 1, 2],
        [3, 4],
        [5, 6],
      ],
    ],
  ])('%i -> %i', (producers, consumers, expected) => {
    const { out, in: inputs } = rescaleChannels(producers, consumers);
    expect(out).toEqual(expected);
    // The consumer side sees exactly the inverse.
    const inverse = Array.from({ length: consumers }, (_, c) =>
      expected.flatMap((cs, p) => (cs.includes(c) ? [p] : [])),
    );
    expect(inputs).toEqual(inverse);
  });

  it('a rescale edge is never chained, even at equal parallelism', () => {
    const env = new StreamExecutionEnvironment({ parallelism: 2 });
    env
      .fromSequence(1, 10)
      .rescale()
      .map((x) => x)
      .print();
    const jobGraph = createJobGraph(streamGraphFromEnvironment('job', env));
    expect(jobGraph.edges.map((e) => e.partitioner)).toEqual(['rescale']);
  });
});
