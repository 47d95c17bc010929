import type { JobGraph } from './job-graph';

/**
 * The warning `sluice run` prints (and the job manager logs) for a job whose stateful
 * operators have no uid (docs/architecture.md §8): state in a savepoint is matched by operator
 * id, and an id generated from the graph's shape changes when the job changes, so a later
 * version would not find that state. Stateful here means what the graph knows: sources (their
 * read positions), operators on a keyed stream (keyed state, timers, windows) and broadcast
 * process operators (broadcast state, on a keyed stream or not). Undefined
 * when every such operator has a uid.
 */
export function missingUidWarning(jobGraph: JobGraph): string | undefined {
  const missing = jobGraph.vertices.flatMap((v) =>
    v.operators.filter(
      (op) => op.uid === undefined && (op.keyed || op.kind === 'source' || op.kind === 'broadcastProcess'),
    ),
  );
  if (missing.length === 0) return undefined;
  const names = missing.map((op) => `'${op.name}' (${op.kind})`).join(', ');
  return (
    `operators with state but no uid: ${names}. Their state is matched by generated ids that ` +
    'change when the job changes; set .uid("...") on each so savepoints restore into later versions'
  );
}
