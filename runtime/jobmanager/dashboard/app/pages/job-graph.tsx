import { formatCount, formatPercent, formatRate } from '../format';
import { BOX_WIDTH, layoutGraph } from '../graph-layout';
import type { PlanNode, VertexDetails } from '../types';

export interface VertexRates {
  readonly in?: number;
  readonly out?: number;
}

/**
 * The job graph as chains: one box per job vertex listing its operators, edges labelled with
 * the partitioner, the box's border coloured by back pressure (Flink's ok / low / high).
 */
export function JobGraph({
  nodes,
  vertices,
  rates,
  selected,
  onSelect,
}: {
  nodes: readonly PlanNode[];
  vertices: ReadonlyMap<string, VertexDetails>;
  rates: ReadonlyMap<string, VertexRates>;
  selected: string | undefined;
  onSelect: (vertexId: string) => void;
}) {
  const layout = layoutGraph(nodes);
  return (
    <div
      class="graph"
      style={{ width: `${layout.width}px`, height: `${layout.height}px` }}
      data-testid="job-graph"
    >
      <svg width={layout.width} height={layout.height} class="graph-edges">
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <g key={`${e.from.node.id}-${e.to.node.id}-${e.label}`}>
            <path d={e.path} class="edge" marker-end="url(#arrow)" />
            <text x={e.labelX} y={e.labelY} class="edge-label" text-anchor="middle" data-testid="edge-label">
              {e.label}
            </text>
          </g>
        ))}
      </svg>
      {layout.boxes.map(({ node, x, y, height }) => {
        const v = vertices.get(node.id);
        const r = rates.get(node.id);
        const level = v?.backPressure.level ?? 'ok';
        return (
          <div
            key={node.id}
            class={`vertex bp-${level}${selected === node.id ? ' selected' : ''}`}
            style={{ left: `${x}px`, top: `${y}px`, width: `${BOX_WIDTH}px`, height: `${height}px` }}
            onClick={() => onSelect(node.id)}
            data-testid="vertex"
            data-vertex-id={node.id}
            title={node.description}
          >
            <div class="vertex-head">
              <span class={`dot status-${(v?.status ?? 'created').toLowerCase()}`} />
              <span class="vertex-status">{v?.status ?? '…'}</span>
              <span class="vertex-par">×{node.parallelism}</span>
            </div>
            <ol class="operators">
              {node.operators.map((op) => (
                <li
                  key={op.id}
                  data-testid="operator"
                  title={`${op.name} (${op.kind}${op.uid ? `, uid ${op.uid}` : ''})`}
                >
                  {op.name}
                  <span class="op-kind">{op.kind}</span>
                </li>
              ))}
            </ol>
            <div class="vertex-foot">
              <span data-testid="vertex-records-out">
                in {formatCount(v?.recordsIn ?? 0)} · out {formatCount(v?.recordsOut ?? 0)}
              </span>
              <span>
                {formatRate(r?.in)} in · {formatRate(r?.out)} out · bp{' '}
                {formatPercent(v?.backPressure.ratio ?? 0)}
              </span>
            </div>
          </div>
        );
      })}
    </div>
  );
}
