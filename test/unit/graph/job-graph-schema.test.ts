/* eslint-disable @typescript-eslint/no-explicit-any -- the tests break JSON values field by field */
/**
 * jobGraphSchema: real job graphs (from the DataStream API) pass unchanged; each kind of
 * malformed graph fails with an issue whose path names the offending field.
 */
import { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import type { JobGraph } from '../../../runtime/graph/job-graph';
import { createJobGraph } from '../../../runtime/graph/job-graph';
import { JOB_GRAPH_LIMITS, jobGraphSchema } from '../../../runtime/graph/job-graph-schema';
import { describeIssues } from '../../../runtime/util/describe-zod-issues';
import { streamGraphFromEnvironment } from '../../../runtime/graph/stream-graph';

function plan(build: (env: StreamExecutionEnvironment) => void): JobGraph {
  const env = new StreamExecutionEnvironment({ parallelism: 2 });
  build(env);
  return createJobGraph(streamGraphFromEnvironment('schema-test', env));
}

/** Two vertices joined by a hash edge, plus a connected (two-input) chain. */
const graph = (): JobGraph =>
  plan((env) => {
    const a = env.fromSequence(1, 10).name('a').uid('source-a');
    const b = env.fromSequence(1, 10).name('b');
    a.keyBy((x) => x % 2)
      .sum()
      .name('sum')
      .connect(b)
      .map({ map1: (x) => x, map2: (y) => y })
      .name('co')
      .print('out');
  });

/** A deep copy the test may break. */
const mutable = (g: JobGraph): any => JSON.parse(JSON.stringify(g));

function problems(value: unknown): string {
  const result = jobGraphSchema.safeParse(value);
  if (result.success) throw new Error('expected the graph to be rejected');
  return describeIssues(result.error, 'jobGraph');
}

test('a real job graph passes and parses to an equal value', () => {
  const g = graph();
  expect(g.edges.length).toBeGreaterThan(0);
  expect(g.vertices.some((v) => v.chainedEdges.length > 0)).toBe(true);
  expect(jobGraphSchema.parse(g)).toEqual(g);
});

test.each([
  ['missing vertices', (g: any) => delete g.vertices, 'jobGraph.vertices'],
  ['formatVersion 2', (g: any) => (g.formatVersion = 2), 'jobGraph.formatVersion'],
  ['parallelism 0', (g: any) => (g.vertices[0].parallelism = 0), 'jobGraph.vertices[0].parallelism'],
  [
    'fractional parallelism',
    (g: any) => (g.vertices[1].parallelism = 1.5),
    'jobGraph.vertices[1].parallelism',
  ],
  ['bad partitioner', (g: any) => (g.edges[0].partitioner = 'scatter'), 'jobGraph.edges[0].partitioner'],
  [
    'edge to an unknown vertex',
    (g: any) => (g.edges[0].targetVertex = 'nowhere'),
    'jobGraph.edges[0].targetVertex',
  ],
  [
    'edge from an operator of another vertex',
    (g: any) => (g.edges[0].sourceOperator = g.vertices[1].operators[0].id),
    'jobGraph.edges[0].sourceOperator',
  ],
  [
    'chained edge to an unknown operator',
    (g: any) => (g.vertices.find((v: any) => v.chainedEdges.length).chainedEdges[0].to = 'ghost'),
    '.chainedEdges[0].to',
  ],
  [
    'duplicate operator id',
    (g: any) => (g.vertices[1].operators[0].id = g.vertices[0].operators[0].id),
    'duplicate operator id',
  ],
  ['vertex id not its first operator', (g: any) => (g.vertices[0].id = 'other'), 'jobGraph.vertices[0].id'],
  ['unknown key', (g: any) => (g.extra = true), 'extra'],
  [
    'control characters in a name',
    (g: any) => (g.vertices[0].operators[0].name = 'a\u001b[31mred'),
    'jobGraph.vertices[0].operators[0].name',
  ],
  [
    'bad operator kind',
    (g: any) => (g.vertices[0].operators[0].kind = 'eval'),
    'jobGraph.vertices[0].operators[0].kind',
  ],
  [
    'bad id charset',
    (g: any) => (g.vertices[0].operators[0].uid = '../etc'),
    'jobGraph.vertices[0].operators[0].uid',
  ],
  [
    'input beyond the operator inputs',
    (g: any) => (g.edges[0].targetInput = 1),
    'jobGraph.edges[0].targetInput',
  ],
  [
    'negative buffer timeout',
    (g: any) => (g.settings.bufferTimeoutMs = -1),
    'jobGraph.settings.bufferTimeoutMs',
  ],
])('%s is rejected naming the field', (_what, breakIt, expected) => {
  const g = mutable(graph());
  breakIt(g);
  expect(problems(g)).toContain(expected);
});

test('a huge string is rejected by length and the message does not echo it', () => {
  const g = mutable(graph());
  g.jobName = 'x'.repeat(100_000);
  const message = problems(g);
  expect(message).toContain('jobGraph.jobName');
  expect(message).toContain(`<=${JOB_GRAPH_LIMITS.maxNameLength}`);
  expect(message.length).toBeLessThan(500);
});

test('too many vertices are rejected before anything else is checked', () => {
  const g = mutable(graph());
  g.vertices = Array.from({ length: JOB_GRAPH_LIMITS.maxVertices + 1 }, () => g.vertices[0]);
  expect(problems(g)).toContain('jobGraph.vertices');
});

test('a cycle between vertices is rejected', () => {
  const g = mutable(graph());
  const [first, second] = g.vertices;
  // Make `second` also feed back into `first` (a second input of its keyed sum would be needed
  // for a real job; here only the cycle must be caught, so point into a one-input operator of first).
  g.vertices[0].operators[0].inputCount = 1;
  g.edges.push({
    id: 'loop',
    sourceVertex: second.id,
    sourceOperator: second.operators[0].id,
    targetVertex: first.id,
    targetOperator: first.operators[0].id,
    targetInput: 0,
    partitioner: 'rebalance',
    targetMaxParallelism: 128,
  });
  expect(problems(g)).toContain('cycle');
});

test('forward edges between different parallelisms are rejected', () => {
  const g = mutable(graph());
  g.edges[0].partitioner = 'forward';
  g.vertices.find((v: any) => v.id === g.edges[0].targetVertex).parallelism = 1;
  expect(problems(g)).toContain('forward needs equal parallelism');
});
