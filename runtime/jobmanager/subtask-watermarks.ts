import type { SubtaskDetails, VertexDetails } from './gateway';

/**
 * A subtask's current input watermark (Flink's task metric `currentInputWatermark`): the event
 * time of its chain, the lowest input watermark among its operators that have one. Undefined
 * while none has (a source chain without inputs, or before the first watermark).
 */
export function subtaskInputWatermark(subtask: SubtaskDetails): number | undefined {
  const values = subtask.operators.flatMap((o) =>
    o.currentInputWatermark === undefined ? [] : [o.currentInputWatermark],
  );
  return values.length > 0 ? Math.min(...values) : undefined;
}

/**
 * `GET /jobs/:id/vertices/:vertexId/watermarks` in Flink's shape: one metric per subtask that
 * has a watermark, `{ id: '<subtask>.currentInputWatermark', value: '<ms>' }` (values are strings in Flink's metric routes).
 */
export function vertexWatermarks(vertex: VertexDetails): { id: string; value: string }[] {
  return vertex.subtasks.flatMap((s) => {
    const watermark = subtaskInputWatermark(s);
    return watermark === undefined
      ? []
      : [{ id: `${s.subtask}.currentInputWatermark`, value: String(watermark) }];
  });
}
