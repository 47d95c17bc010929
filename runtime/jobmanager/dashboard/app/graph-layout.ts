import type { PlanNode } from './types';

export const BOX_WIDTH = 260;
const HEADER_HEIGHT = 30;
const OPERATOR_HEIGHT = 20;
const FOOTER_HEIGHT = 40;
const GAP_X = 110;
const GAP_Y = 36;
const MARGIN = 16;

export interface BoxLayout {
  readonly node: PlanNode;
  readonly x: number;
  readonly y: number;
  readonly height: number;
}

export interface EdgeLayout {
  readonly from: BoxLayout;
  readonly to: BoxLayout;
  readonly label: string;
  /** SVG path from the producer's right side to the consumer's left side. */
  readonly path: string;
  readonly labelX: number;
  readonly labelY: number;
}

export interface GraphLayout {
  readonly boxes: readonly BoxLayout[];
  readonly edges: readonly EdgeLayout[];
  readonly width: number;
  readonly height: number;
}

/**
 * Places the chains left to right by depth (longest path from a source), stacked top to bottom
 * within a column; each box is as tall as its operator list.
 */
export function layoutGraph(nodes: readonly PlanNode[]): GraphLayout {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const depthOf = (node: PlanNode, seen: Set<string>): number => {
    const known = depth.get(node.id);
    if (known !== undefined) return known;
    if (seen.has(node.id)) return 0; // a cycle cannot happen in a job graph; do not loop if it did
    seen.add(node.id);
    const inputs = node.inputs.map((i) => byId.get(i.id)).filter((n): n is PlanNode => n !== undefined);
    const d = inputs.length === 0 ? 0 : 1 + Math.max(...inputs.map((n) => depthOf(n, seen)));
    depth.set(node.id, d);
    return d;
  };
  nodes.forEach((n) => depthOf(n, new Set()));
  const columns: PlanNode[][] = [];
  for (const n of nodes) (columns[depth.get(n.id)!] ??= []).push(n);
  const boxes = new Map<string, BoxLayout>();
  let height = 0;
  columns.forEach((column, c) => {
    let y = MARGIN;
    for (const node of column) {
      const h = HEADER_HEIGHT + node.operators.length * OPERATOR_HEIGHT + FOOTER_HEIGHT;
      boxes.set(node.id, { node, x: MARGIN + c * (BOX_WIDTH + GAP_X), y, height: h });
      y += h + GAP_Y;
    }
    height = Math.max(height, y - GAP_Y + MARGIN);
  });
  const edges: EdgeLayout[] = [];
  for (const to of boxes.values()) {
    const inputs = to.node.inputs;
    inputs.forEach((input, k) => {
      const from = boxes.get(input.id);
      if (!from) return;
      const x1 = from.x + BOX_WIDTH;
      const y1 = from.y + from.height / 2;
      const x2 = to.x;
      const y2 = to.y + ((k + 1) * to.height) / (inputs.length + 1);
      const mid = (x1 + x2) / 2;
      const twoInputs = to.node.operators.some((o) => o.inputCount === 2);
      edges.push({
        from,
        to,
        label: twoInputs ? `${input.ship_strategy} → input ${input.num + 1}` : input.ship_strategy,
        path: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`,
        labelX: mid,
        labelY: (y1 + y2) / 2 - 6,
      });
    });
  }
  const width = MARGIN * 2 + columns.length * BOX_WIDTH + Math.max(0, columns.length - 1) * GAP_X;
  return { boxes: [...boxes.values()], edges, width, height };
}
