import type { JobSettings } from '../api/job-settings';
import type { StreamEdge, StreamNode } from './stream-graph';

/**
 * Operator chaining (docs/architecture.md §3). An edge may be chained — the two operators run in one task
 * with plain function calls — when it is a forward edge, both sides have the same parallelism
 * and slot sharing group, chaining is enabled for the job and neither side opts out
 * (`disableChaining` on either, `startNewChain` on the downstream side), and the downstream
 * operator has a single input edge.
 *
 * Extension (`pipeline.two-input-chaining`): a downstream operator with several input edges
 * (a two-input operator or a union) may still chain each of them, so a chain becomes a small
 * DAG, possibly with several sources. Merging is refused when it would put a non-chainable
 * edge inside a chain or make the graph of chains cyclic; then fewer inputs are chained.
 */
export function isChainable(edge: StreamEdge, settings: Readonly<JobSettings>): boolean {
  const { source, target } = edge;
  return (
    settings.chaining &&
    edge.partitioner === 'forward' &&
    source.parallelism === target.parallelism &&
    source.slotSharingGroup === target.slotSharingGroup &&
    source.chaining !== 'never' &&
    source.chaining !== 'tail' &&
    (target.chaining === 'always' || target.chaining === 'tail') &&
    (target.inEdges.length === 1 || settings.twoInputChaining)
  );
}

/** Assigns every node to a chain; returns node -> chain number. Nodes must be topologically ordered. */
export function assignChains(
  nodes: readonly StreamNode[],
  settings: Readonly<JobSettings>,
): Map<StreamNode, number> {
  let chainOf = new Map<StreamNode, number>();
  const placed: StreamNode[] = [];
  for (const node of nodes) {
    placed.push(node);
    chainOf.set(node, chainOf.size === 0 ? 0 : Math.max(...chainOf.values()) + 1);
    const candidateChains = [
      ...new Set(node.inEdges.filter((e) => isChainable(e, settings)).map((e) => chainOf.get(e.source)!)),
    ];
    for (const attempt of mergeAttempts(candidateChains)) {
      const trial = mergeChains(chainOf, node, attempt);
      if (isValidChaining(trial, placed, settings)) {
        chainOf = trial;
        break;
      }
    }
  }
  return chainOf;
}

/** All candidate chains together first, then each alone, in input order. */
function mergeAttempts(chains: number[]): number[][] {
  const singles = chains.map((c) => [c]);
  return chains.length > 1 ? [chains, ...singles] : singles;
}

function mergeChains(
  chainOf: Map<StreamNode, number>,
  node: StreamNode,
  chains: number[],
): Map<StreamNode, number> {
  const into = chains[0]!;
  const merged = new Set(chains);
  const trial = new Map<StreamNode, number>();
  for (const [n, c] of chainOf) trial.set(n, merged.has(c) ? into : c);
  trial.set(node, into);
  return trial;
}

function isValidChaining(
  chainOf: Map<StreamNode, number>,
  placed: StreamNode[],
  settings: Readonly<JobSettings>,
): boolean {
  const successors = new Map<number, Set<number>>();
  for (const node of placed) {
    for (const edge of node.inEdges) {
      const from = chainOf.get(edge.source)!;
      const to = chainOf.get(node)!;
      if (from === to) {
        if (!isChainable(edge, settings)) return false; // a network edge inside a chain
        continue;
      }
      if (!successors.has(from)) successors.set(from, new Set());
      successors.get(from)!.add(to);
    }
  }
  return !hasCycle(successors);
}

function hasCycle(successors: Map<number, Set<number>>): boolean {
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (chain: number): boolean => {
    const s = state.get(chain);
    if (s === 'visiting') return true;
    if (s === 'done') return false;
    state.set(chain, 'visiting');
    for (const next of successors.get(chain) ?? []) if (visit(next)) return true;
    state.set(chain, 'done');
    return false;
  };
  return [...successors.keys()].some(visit);
}

/** Edges that stay inside one chain. */
export function chainedEdges(edges: readonly StreamEdge[], chainOf: Map<StreamNode, number>): StreamEdge[] {
  return edges.filter((e) => chainOf.get(e.source) === chainOf.get(e.target));
}
