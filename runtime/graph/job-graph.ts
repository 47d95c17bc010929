import type { JobSettings } from '../api/job-settings';
import type { OperatorKind, PartitionerKind } from '../api/transformation';
import type { ResourceProfile } from '../deployment/resource-profile';
import { assignChains, chainedEdges } from './chaining';
import { graphHash } from './graph-hash';
import type { StreamGraph, StreamNode } from './stream-graph';

/**
 * The JobGraph: the serializable plan of a job (docs/architecture.md §3). Operators are fused into vertices
 * (chains); edges between vertices are network exchanges. It carries no code: each task
 * rebuilds the stream graph from the job module and checks `graphHash`.
 */
export interface JobGraph {
  readonly formatVersion: 1;
  readonly jobName: string;
  readonly graphHash: string;
  readonly settings: Readonly<JobSettings>;
  readonly vertices: readonly JobVertex[];
  readonly edges: readonly JobEdge[];
}

export interface JobVertex {
  /** The id of the chain's first operator. */
  readonly id: string;
  /** Operator names joined by ' -> ', as Flink shows chains. */
  readonly name: string;
  readonly parallelism: number;
  readonly slotSharingGroup: string;
  /** Slot profile requested by the vertex's sharing group, if declared. */
  readonly resources?: ResourceProfile;
  /** Operators in topological order; the chain may be a small DAG. */
  readonly operators: readonly ChainedOperator[];
  /** Edges between operators of this chain (plain function calls at run time). */
  readonly chainedEdges: readonly ChainedEdge[];
}

export interface ChainedOperator {
  readonly id: string;
  readonly uid?: string;
  readonly name: string;
  readonly kind: OperatorKind;
  readonly maxParallelism: number;
  readonly inputCount: 0 | 1 | 2;
  readonly keyed: boolean;
}

export interface ChainedEdge {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly input: 0 | 1;
  /** Set when the edge carries a side output of `from` (an OutputTag id). */
  readonly outputTag?: string;
}

/** A network exchange between two vertices. */
export interface JobEdge {
  readonly id: string;
  readonly sourceVertex: string;
  readonly sourceOperator: string;
  readonly targetVertex: string;
  readonly targetOperator: string;
  readonly targetInput: 0 | 1;
  readonly partitioner: PartitionerKind;
  /** Key groups of the consuming operator (hash partitioning needs them). */
  readonly targetMaxParallelism: number;
  /** Set when the edge carries a side output of the source operator (an OutputTag id). */
  readonly outputTag?: string;
}

export function createJobGraph(graph: StreamGraph): JobGraph {
  const chainOf = assignChains(graph.nodes, graph.settings);
  const members = new Map<number, StreamNode[]>();
  for (const node of graph.nodes) {
    const chain = chainOf.get(node)!;
    members.set(chain, [...(members.get(chain) ?? []), node]);
  }
  const vertexIdOf = new Map<number, string>();
  const vertices: JobVertex[] = [];
  for (const [chain, nodes] of members) {
    const head = nodes[0]!;
    vertexIdOf.set(chain, head.id);
    const resources = graph.groupResources.get(head.slotSharingGroup);
    vertices.push({
      id: head.id,
      name: nodes.map((n) => n.name).join(' -> '),
      parallelism: head.parallelism,
      slotSharingGroup: head.slotSharingGroup,
      ...(resources ? { resources } : {}),
      operators: nodes.map((n) => ({
        id: n.id,
        ...(n.uid !== undefined ? { uid: n.uid } : {}),
        name: n.name,
        kind: n.kind,
        maxParallelism: n.maxParallelism,
        inputCount: n.inputCount,
        keyed: n.keyed,
      })),
      chainedEdges: chainedEdges(graph.edges, chainOf)
        .filter((e) => chainOf.get(e.target) === chain)
        .map((e) => ({
          id: e.id,
          from: e.source.id,
          to: e.target.id,
          input: e.input,
          ...(e.outputTag !== undefined ? { outputTag: e.outputTag } : {}),
        })),
    });
  }
  const edges: JobEdge[] = graph.edges
    .filter((e) => chainOf.get(e.source) !== chainOf.get(e.target))
    .map((e) => ({
      id: e.id,
      sourceVertex: vertexIdOf.get(chainOf.get(e.source)!)!,
      sourceOperator: e.source.id,
      targetVertex: vertexIdOf.get(chainOf.get(e.target)!)!,
      targetOperator: e.target.id,
      targetInput: e.input,
      partitioner: e.partitioner,
      targetMaxParallelism: e.target.maxParallelism,
      ...(e.outputTag !== undefined ? { outputTag: e.outputTag } : {}),
    }));
  const body = {
    formatVersion: 1 as const,
    jobName: graph.jobName,
    settings: graph.settings,
    vertices,
    edges,
  };
  return { ...body, graphHash: graphHash(body) };
}
