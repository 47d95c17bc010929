import { createHash } from 'node:crypto';
import type { JobDefinition, JobArgs } from '../api/job';
import { StreamExecutionEnvironment } from '../api/environment';
import type { KeySelector } from '../api/functions';
import type { JobSettings } from '../api/job-settings';
import type { Partitioner } from '../api/partitioners';
import type { ChainingStrategy, OperatorKind, PartitionerKind, Transformation } from '../api/transformation';
import { InvalidJobError } from '../errors';
import type { ResourceProfile } from '../deployment/resource-profile';

export const DEFAULT_SLOT_SHARING_GROUP = 'default';

/** One operator of the logical dataflow, with defaults resolved. */
export interface StreamNode {
  readonly id: string;
  readonly uid: string | undefined;
  readonly index: number;
  readonly transformation: Transformation;
  readonly kind: OperatorKind;
  readonly name: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly slotSharingGroup: string;
  readonly chaining: ChainingStrategy;
  readonly inputCount: 0 | 1 | 2;
  readonly keyed: boolean;
  readonly inEdges: StreamEdge[];
  readonly outEdges: StreamEdge[];
}

export interface StreamEdge {
  readonly id: string;
  readonly source: StreamNode;
  readonly target: StreamNode;
  readonly input: 0 | 1;
  readonly partitioner: PartitionerKind;
  readonly keySelector: KeySelector<unknown, unknown> | undefined;
  /** `partitionCustom`'s function: the consumer subtask of a key. */
  readonly customPartitioner: Partitioner<unknown> | undefined;
  /** The side output (OutputTag id) of the source the edge carries; undefined for the main output. */
  readonly outputTag: string | undefined;
}

export interface StreamGraph {
  readonly jobName: string;
  readonly settings: Readonly<JobSettings>;
  /** In creation order, which is a topological order. */
  readonly nodes: readonly StreamNode[];
  readonly edges: readonly StreamEdge[];
  /** Resource profile per slot sharing group that declared one. */
  readonly groupResources: ReadonlyMap<string, ResourceProfile>;
}

/** Runs a job's `build` with the given settings and args and returns its stream graph. */
export function buildStreamGraph(
  job: JobDefinition,
  args: JobArgs,
  settings: Partial<JobSettings> = {},
): StreamGraph {
  const env = new StreamExecutionEnvironment(settings);
  try {
    job.build(env, args);
  } catch (err) {
    if (err instanceof InvalidJobError) throw err;
    throw new InvalidJobError(
      `building job '${job.name}' failed: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
  return streamGraphFromEnvironment(job.name, env);
}

export function streamGraphFromEnvironment(jobName: string, env: StreamExecutionEnvironment): StreamGraph {
  const settings = env.getSettings();
  if (env.transformations.length === 0) throw new InvalidJobError(`job '${jobName}' defines no operators`);
  const nodes: StreamNode[] = [];
  const edges: StreamEdge[] = [];
  const byTransformation = new Map<Transformation, StreamNode>();
  const groupResources = new Map<string, ResourceProfile>();
  const uids = new Set<string>();

  for (const t of env.transformations) {
    const inputs = t.inputs.map((i) => byTransformation.get(i.from)!);
    const node = createNode(t, nodes.length, inputs, settings, uids);
    collectGroupResources(t, node.slotSharingGroup, groupResources);
    t.inputs.forEach((input, position) => {
      const source = inputs[position]!;
      const edge: StreamEdge = {
        id: `e${edges.length}`,
        source,
        target: node,
        input: input.input,
        partitioner: resolvePartitioner(input.partitioner.kind, source, node),
        keySelector: input.partitioner.keySelector,
        customPartitioner: input.partitioner.partitioner,
        outputTag: input.outputTag,
      };
      edges.push(edge);
      source.outEdges.push(edge);
      node.inEdges.push(edge);
    });
    nodes.push(node);
    byTransformation.set(t, node);
  }
  return { jobName, settings, nodes, edges, groupResources };
}

function createNode(
  t: Transformation,
  index: number,
  inputs: StreamNode[],
  settings: Readonly<JobSettings>,
  uids: Set<string>,
): StreamNode {
  const parallelism = t.parallelism ?? settings.parallelism;
  const maxParallelism = t.maxParallelism ?? Math.max(settings.maxParallelism, 1);
  if (parallelism > maxParallelism) {
    throw new InvalidJobError(
      `operator '${t.name}': parallelism ${parallelism} is greater than its max parallelism ${maxParallelism}`,
    );
  }
  if (t.uid !== undefined) {
    if (uids.has(t.uid)) throw new InvalidJobError(`uid '${t.uid}' is used by more than one operator`);
    uids.add(t.uid);
  }
  if (t.inputCount > 0 && inputs.length === 0) throw new InvalidJobError(`operator '${t.name}' has no input`);
  return {
    id: t.uid ?? generatedOperatorId(t.kind, index, inputs),
    uid: t.uid,
    index,
    transformation: t,
    kind: t.kind,
    name: t.name,
    parallelism,
    maxParallelism,
    slotSharingGroup: t.slotSharingGroup?.name ?? inheritedGroup(inputs),
    chaining: t.chaining,
    inputCount: t.inputCount,
    keyed: t.keyed,
    inEdges: [],
    outEdges: [],
  };
}

/** Flink's rule: an operator without a group inherits its inputs' group when they agree. */
function inheritedGroup(inputs: StreamNode[]): string {
  const groups = new Set(inputs.map((i) => i.slotSharingGroup));
  return groups.size === 1 ? [...groups][0]! : DEFAULT_SLOT_SHARING_GROUP;
}

function collectGroupResources(t: Transformation, group: string, out: Map<string, ResourceProfile>): void {
  const resources = t.slotSharingGroup?.resources;
  if (!resources) return;
  const existing = out.get(group);
  if (existing && JSON.stringify(existing) !== JSON.stringify(resources)) {
    throw new InvalidJobError(
      `slot sharing group '${group}' is declared with two different resource profiles`,
    );
  }
  out.set(group, resources);
}

function resolvePartitioner(
  kind: PartitionerKind | 'default',
  source: StreamNode,
  target: StreamNode,
): PartitionerKind {
  const same = source.parallelism === target.parallelism;
  if (kind === 'default') return same ? 'forward' : 'rebalance';
  if (kind === 'forward' && !same) {
    throw new InvalidJobError(
      `forward edge from '${source.name}' (parallelism ${source.parallelism}) to '${target.name}' ` +
        `(parallelism ${target.parallelism}) needs equal parallelism; use rebalance() instead`,
    );
  }
  return kind;
}

/**
 * Operator ids without a uid derive from the operator's kind, its position in the graph and
 * its inputs' ids, so rebuilding the same job gives the same ids (Flink hashes the graph's
 * shape the same way). Changing the job's shape changes them: set `uid` for state that must
 * survive that.
 */
function generatedOperatorId(kind: OperatorKind, index: number, inputs: StreamNode[]): string {
  const material = `${kind}|${index}|${inputs.map((i) => i.id).join(',')}`;
  return createHash('sha256').update(material).digest('hex').slice(0, 16);
}
