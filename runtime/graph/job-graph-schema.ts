import { z } from 'zod';
import { MAX_MAX_PARALLELISM } from '../api/job-settings';
import type { JobSettings } from '../api/job-settings';
import type { OperatorKind, PartitionerKind } from '../api/transformation';
import type { JobGraph } from './job-graph';

/**
 * Structural validation of a JobGraph that arrives from outside the process (a REST
 * submission, a stored job record). TypeScript types vanish at run time, so a job manager must
 * not trust a client's JSON: every id, name and number is bounded, every edge must reference
 * vertices and operators that exist, and the vertex graph must be acyclic. Issues carry paths
 * (`vertices[2].parallelism`) so an error can name the offending field.
 */

/** Size limits; a real job is far below them, they only stop absurd or hostile input. */
export const JOB_GRAPH_LIMITS = Object.freeze({
  maxVertices: 1_000,
  maxOperatorsPerVertex: 1_000,
  maxOperators: 4_000,
  maxEdges: 10_000,
  maxNameLength: 256,
  maxVertexNameLength: 8_192,
  maxIdLength: 128,
  /** Upper bound of `bufferTimeoutMs` (1 h): longer is surely a unit mistake. */
  maxBufferTimeoutMs: 3_600_000,
  /** Upper bound of each resource profile field (cores or MB). */
  maxResource: 1_048_576,
});

const OPERATOR_KINDS = [
  'source',
  'map',
  'flatMap',
  'filter',
  'reduce',
  'process',
  'coMap',
  'coFlatMap',
  'coProcess',
  'broadcastProcess',
  'intervalJoin',
  'sink',
  'timestamps',
  'window',
  'mapAsync',
] as const satisfies readonly OperatorKind[];
const PARTITIONER_KINDS = [
  'forward',
  'rebalance',
  'rescale',
  'shuffle',
  'global',
  'hash',
  'broadcast',
  'custom',
] as const satisfies readonly PartitionerKind[];

// Fails to compile when OperatorKind or PartitionerKind gains a member the lists above lack.
type Missing<All, Listed> = Exclude<All, Listed> extends never ? true : never;
const _allOperatorKinds: Missing<OperatorKind, (typeof OPERATOR_KINDS)[number]> = true;
const _allPartitionerKinds: Missing<PartitionerKind, (typeof PARTITIONER_KINDS)[number]> = true;
void _allOperatorKinds;
void _allPartitionerKinds;

/** Ids are uids or generated hex: letters, digits, '.', '_' and '-' (as `uid()` accepts). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** No control characters, line separators or bidi overrides: names end up in terminals and logs. */
const SAFE_TEXT = /^[^\p{Cc}\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]*$/u;

const id = z
  .string()
  .min(1)
  .max(JOB_GRAPH_LIMITS.maxIdLength)
  .regex(ID_PATTERN, "must be letters, digits, '.', '_' or '-', starting with a letter or digit");

/** Free text shown to people (job, operator and group names). */
export function safeText(maxLength: number): z.ZodString {
  return z.string().min(1).max(maxLength).regex(SAFE_TEXT, 'must not contain control characters');
}

const parallelism = z.int().min(1).max(MAX_MAX_PARALLELISM);
const resourceAmount = z.number().min(0).max(JOB_GRAPH_LIMITS.maxResource);

export const jobSettingsSchema = z.strictObject({
  parallelism,
  maxParallelism: parallelism,
  chaining: z.boolean(),
  twoInputChaining: z.boolean(),
  bufferTimeoutMs: z.int().min(0).max(JOB_GRAPH_LIMITS.maxBufferTimeoutMs),
  exchange: z.enum(['tcp', 'sqs']).optional(),
  // Keys and values are checked again by the job manager's config schema (withOverrides).
  restartStrategy: z
    .record(
      z.string().regex(/^restart-strategy\.[a-z.-]{1,80}$/),
      z.union([z.string().max(100), z.number(), z.boolean()]),
    )
    .optional(),
  stateBackend: z.enum(['heap', 'kv']).optional(),
  checkpointIntervalMs: z.number().min(1).optional(),
  checkpointingMode: z.enum(['exactly-once', 'at-least-once']).optional(),
  checkpointTimeoutMs: z.number().min(1).optional(),
  checkpointMinPauseMs: z.number().min(0).optional(),
  maxConcurrentCheckpoints: z.int().min(1).max(1000).optional(),
  tolerableFailedCheckpoints: z.int().min(0).optional(),
  checkpointRetention: z.enum(['delete-on-cancellation', 'retain-on-cancellation']).optional(),
  retainedCheckpoints: z.int().min(1).max(1000).optional(),
  autoWatermarkIntervalMs: z.int().min(1).max(3_600_000).optional(),
}) satisfies z.ZodType<JobSettings>;

const resourceProfileSchema = z.strictObject({
  cpuCores: resourceAmount,
  heapMb: resourceAmount,
  directMb: resourceAmount,
  nativeMb: resourceAmount,
  networkMb: resourceAmount,
  managedMb: resourceAmount,
});

const chainedOperatorSchema = z.strictObject({
  id,
  uid: id.optional(),
  name: safeText(JOB_GRAPH_LIMITS.maxNameLength),
  kind: z.enum(OPERATOR_KINDS),
  maxParallelism: parallelism,
  inputCount: z.literal([0, 1, 2]),
  keyed: z.boolean(),
});

const chainedEdgeSchema = z.strictObject({
  id,
  from: id,
  to: id,
  input: z.literal([0, 1]),
  outputTag: id.optional(),
});

const jobVertexSchema = z.strictObject({
  id,
  name: safeText(JOB_GRAPH_LIMITS.maxVertexNameLength),
  parallelism,
  slotSharingGroup: safeText(JOB_GRAPH_LIMITS.maxNameLength),
  resources: resourceProfileSchema.optional(),
  operators: z.array(chainedOperatorSchema).min(1).max(JOB_GRAPH_LIMITS.maxOperatorsPerVertex),
  chainedEdges: z.array(chainedEdgeSchema).max(JOB_GRAPH_LIMITS.maxOperatorsPerVertex * 2),
});

const jobEdgeSchema = z.strictObject({
  id,
  sourceVertex: id,
  sourceOperator: id,
  targetVertex: id,
  targetOperator: id,
  targetInput: z.literal([0, 1]),
  partitioner: z.enum(PARTITIONER_KINDS),
  targetMaxParallelism: parallelism,
  outputTag: id.optional(),
});

type Vertex = z.infer<typeof jobVertexSchema>;
type Edge = z.infer<typeof jobEdgeSchema>;
type Operator = z.infer<typeof chainedOperatorSchema>;
type Ctx = z.RefinementCtx;

export const jobGraphSchema = z
  .strictObject({
    formatVersion: z.literal(1),
    jobName: safeText(JOB_GRAPH_LIMITS.maxNameLength),
    graphHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters'),
    settings: jobSettingsSchema,
    vertices: z.array(jobVertexSchema).min(1).max(JOB_GRAPH_LIMITS.maxVertices),
    edges: z.array(jobEdgeSchema).max(JOB_GRAPH_LIMITS.maxEdges),
  })
  .superRefine((graph, ctx) => {
    // Structure first: only a graph whose references resolve is worth checking for cycles.
    const operators = checkVertices(graph.vertices, ctx);
    if (operators === undefined) return;
    const edgesOk = checkEdges(graph.vertices, graph.edges, operators, ctx);
    if (edgesOk) checkAcyclic(graph.vertices, graph.edges, ctx);
  }) satisfies z.ZodType<JobGraph>;

/** Ids unique, chains well formed. Returns each operator with its vertex, or undefined when broken. */
function checkVertices(
  vertices: Vertex[],
  ctx: Ctx,
): Map<string, { vertex: Vertex; op: Operator }> | undefined {
  const vertexIds = new Set<string>();
  const operators = new Map<string, { vertex: Vertex; op: Operator }>();
  let total = 0;
  let ok = true;
  const fail = (message: string, path: (string | number)[]) => {
    ctx.addIssue({ code: 'custom', message, path });
    ok = false;
  };
  vertices.forEach((vertex, v) => {
    if (vertexIds.has(vertex.id)) fail(`duplicate vertex id '${vertex.id}'`, ['vertices', v, 'id']);
    vertexIds.add(vertex.id);
    if (vertex.operators[0]?.id !== vertex.id)
      fail("must be the id of the vertex's first operator", ['vertices', v, 'id']);
    total += vertex.operators.length;
    vertex.operators.forEach((op, o) => {
      if (operators.has(op.id))
        fail(`duplicate operator id '${op.id}'`, ['vertices', v, 'operators', o, 'id']);
      operators.set(op.id, { vertex, op });
      if (vertex.parallelism > op.maxParallelism) {
        fail(
          `parallelism ${vertex.parallelism} exceeds operator '${op.id}' max parallelism ${op.maxParallelism}`,
          ['vertices', v, 'parallelism'],
        );
      }
    });
    vertex.chainedEdges.forEach((edge, e) => {
      const path = ['vertices', v, 'chainedEdges', e];
      const from = vertex.operators.find((op) => op.id === edge.from);
      const to = vertex.operators.find((op) => op.id === edge.to);
      if (!from) fail(`operator '${edge.from}' is not in this vertex`, [...path, 'from']);
      if (!to) fail(`operator '${edge.to}' is not in this vertex`, [...path, 'to']);
      else if (edge.input >= to.inputCount)
        fail(`operator '${to.id}' has ${to.inputCount} input(s)`, [...path, 'input']);
    });
  });
  if (total > JOB_GRAPH_LIMITS.maxOperators) {
    fail(`${total} operators in all; at most ${JOB_GRAPH_LIMITS.maxOperators} are allowed`, ['vertices']);
  }
  return ok ? operators : undefined;
}

/** Every edge joins existing operators of two different, existing vertices. */
function checkEdges(
  vertices: Vertex[],
  edges: Edge[],
  operators: Map<string, { vertex: Vertex; op: Operator }>,
  ctx: Ctx,
): boolean {
  const byId = new Map(vertices.map((v) => [v.id, v]));
  const edgeIds = new Set(vertices.flatMap((v) => v.chainedEdges.map((e) => e.id)));
  let ok = true;
  const fail = (message: string, path: (string | number)[]) => {
    ctx.addIssue({ code: 'custom', message, path });
    ok = false;
  };
  edges.forEach((edge, e) => {
    const path = ['edges', e];
    if (edgeIds.has(edge.id)) fail(`duplicate edge id '${edge.id}'`, [...path, 'id']);
    edgeIds.add(edge.id);
    const source = byId.get(edge.sourceVertex);
    const target = byId.get(edge.targetVertex);
    if (!source) fail(`unknown vertex '${edge.sourceVertex}'`, [...path, 'sourceVertex']);
    if (!target) fail(`unknown vertex '${edge.targetVertex}'`, [...path, 'targetVertex']);
    if (source && operators.get(edge.sourceOperator)?.vertex !== source) {
      fail(`operator '${edge.sourceOperator}' is not in vertex '${source.id}'`, [...path, 'sourceOperator']);
    }
    const targetOp = operators.get(edge.targetOperator);
    if (target && targetOp?.vertex !== target) {
      fail(`operator '${edge.targetOperator}' is not in vertex '${target.id}'`, [...path, 'targetOperator']);
    } else if (targetOp && edge.targetInput >= targetOp.op.inputCount) {
      fail(`operator '${targetOp.op.id}' has ${targetOp.op.inputCount} input(s)`, [...path, 'targetInput']);
    }
    if (source && source === target)
      fail('an edge between vertices cannot loop back to its source', [...path, 'targetVertex']);
    if (source && target && edge.partitioner === 'forward' && source.parallelism !== target.parallelism) {
      fail(`forward needs equal parallelism (${source.parallelism} -> ${target.parallelism})`, [
        ...path,
        'partitioner',
      ]);
    }
  });
  return ok;
}

/** Kahn's algorithm: a job master could never schedule a cycle of exchanges. */
function checkAcyclic(vertices: Vertex[], edges: Edge[], ctx: Ctx): void {
  const indegree = new Map(vertices.map((v) => [v.id, 0]));
  const out = new Map<string, string[]>(vertices.map((v) => [v.id, []]));
  for (const edge of edges) {
    indegree.set(edge.targetVertex, (indegree.get(edge.targetVertex) ?? 0) + 1);
    out.get(edge.sourceVertex)?.push(edge.targetVertex);
  }
  const ready = [...indegree].filter(([, n]) => n === 0).map(([vertexId]) => vertexId);
  let visited = 0;
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    visited++;
    for (const target of out.get(next) ?? []) {
      const n = (indegree.get(target) ?? 0) - 1;
      indegree.set(target, n);
      if (n === 0) ready.push(target);
    }
  }
  if (visited < vertices.length) {
    const stuck = [...indegree].find(([, n]) => n > 0)?.[0];
    ctx.addIssue({
      code: 'custom',
      message: `the edges form a cycle through vertex '${stuck}'`,
      path: ['edges'],
    });
  }
}
