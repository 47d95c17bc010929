import { describeError } from '../errors';
import type { JobGraph } from '../graph/job-graph';
import { keyGroupRangeForSubtask } from '../graph/key-groups';
import { KeyedSnapshotReader, decodeOperatorSnapshot } from '../state/snapshot-format';
import { TIMER_STATE_PREFIX } from '../state/state-descriptors';
import type { OperatorStateMetadata, StateObjectRef } from './checkpoint-metadata';
import { restoreHandlesFor } from './restore-assignment';
import { decodeEntryValue } from './savepoint-inspection';
import type { OpenedSavepoint } from './savepoint-reader';

/** One finding of `sluice savepoint check`; `problem` findings make the job incompatible. */
export interface CompatibilityFinding {
  readonly severity: 'ok' | 'note' | 'problem';
  readonly message: string;
}

export interface CompatibilityReport {
  readonly location: string;
  readonly jobName: string;
  readonly compatible: boolean;
  /** Savepoint operators with state whose uid the job has. */
  readonly matched: readonly string[];
  /** Savepoint operators with state whose uid the job lacks (their state would be lost). */
  readonly unmatched: readonly string[];
  /** Operators of the job the savepoint holds no state for (they start empty). */
  readonly added: readonly string[];
  readonly findings: readonly CompatibilityFinding[];
  /** State values read and decoded in the dry run. */
  readonly valuesChecked: number;
}

const label = (op: { uid?: string; id: string; name: string }): string => `'${op.uid ?? op.id}' (${op.name})`;

/**
 * Whether `jobGraph` can start from the savepoint (`sluice savepoint check`), decided by a dry
 * run of the restore that touches no running job: the uid mapping the job manager applies at
 * submit, then for every subtask of the new job the restore assignment (key groups at its
 * parallelism, operator list redistribution, the max-parallelism rule), reading every state
 * object it would download (verified) and decoding every value it would restore.
 */
export async function checkSavepointCompatibility(
  opened: OpenedSavepoint,
  jobGraph: JobGraph,
  options: { allowNonRestoredState?: boolean } = {},
): Promise<CompatibilityReport> {
  const { metadata, externalPath, dir } = opened.savepoint;
  const findings: CompatibilityFinding[] = [];
  const jobOps = new Map(
    jobGraph.vertices.flatMap((v) => v.operators.map((op) => [op.id, { op, vertex: v }])),
  );
  const stateful = metadata.operators.filter((op) => op.subtasks.length > 0);
  const matched = stateful.filter((op) => jobOps.has(op.id));
  const unmatched = stateful.filter((op) => !jobOps.has(op.id));
  const added = [...jobOps.values()].filter(({ op }) => !stateful.some((s) => s.id === op.id));
  const cache = new Map<string, Promise<Uint8Array>>();
  const read = (ref: StateObjectRef): Promise<Uint8Array> => {
    let p = cache.get(ref.path);
    if (!p) cache.set(ref.path, (p = opened.readState(ref)));
    return p;
  };
  const names = async (op: OperatorStateMetadata): Promise<string> =>
    stateNamesOf(op, read).catch((err: unknown) => `unreadable: ${describeError(err)}`);
  for (const op of unmatched)
    findings.push({
      severity: options.allowNonRestoredState ? 'note' : 'problem',
      message: `operator ${label(op)} has state [${await names(op)}] in the savepoint but no operator of the job has uid '${op.uid ?? op.id}'${options.allowNonRestoredState ? ': its state is dropped (--allow-non-restored-state)' : ': give an operator that uid, or pass --allow-non-restored-state to drop it'}`,
    });
  for (const { op } of added)
    findings.push({ severity: 'note', message: `operator ${label(op)} is new: it starts without state` });
  if (
    jobGraph.vertices.some((v) =>
      v.operators.some((op) => op.uid === undefined && stateful.some((s) => s.id === op.id)),
    )
  )
    findings.push({
      severity: 'note',
      message:
        'some operators matched by generated ids: give stateful operators a uid so later changes keep their state',
    });

  let valuesChecked = 0;
  for (const old of matched) {
    const { op, vertex } = jobOps.get(old.id)!;
    if (old.subtasks.some((s) => s.keyed) && !op.keyed) {
      findings.push({
        severity: 'problem',
        message: `operator ${label(old)} has keyed state in the savepoint, but its input is not keyed in the job`,
      });
      continue;
    }
    if (old.subtasks.some((s) => s.keyed) && vertex.parallelism > old.maxParallelism) {
      findings.push({
        severity: 'problem',
        message: `operator ${label(old)} runs at parallelism ${vertex.parallelism}, above the savepoint's max parallelism ${old.maxParallelism}`,
      });
      continue;
    }
    try {
      valuesChecked += await dryRestore(old, jobGraph, vertex.id, vertex.parallelism, dir, metadata, read);
      findings.push({
        severity: 'ok',
        message: `operator ${label(old)}: state [${await names(old)}] restores at parallelism ${vertex.parallelism} (was ${old.parallelism})`,
      });
    } catch (err) {
      // Whatever fails here would fail the restore: a corrupt object, a value that does not decode.
      findings.push({ severity: 'problem', message: `operator ${label(old)}: ${describeError(err)}` });
    }
  }
  return {
    location: externalPath,
    jobName: jobGraph.jobName,
    compatible: !findings.some((f) => f.severity === 'problem'),
    matched: matched.map((op) => op.uid ?? op.id),
    unmatched: unmatched.map((op) => op.uid ?? op.id),
    added: added.map(({ op }) => op.uid ?? op.id),
    findings,
    valuesChecked,
  };
}

/** Restores one operator's state as every new subtask would, decoding each value; returns how many. */
async function dryRestore(
  old: OperatorStateMetadata,
  jobGraph: JobGraph,
  vertexId: string,
  parallelism: number,
  dir: string,
  metadata: OpenedSavepoint['savepoint']['metadata'],
  read: (ref: StateObjectRef) => Promise<Uint8Array>,
): Promise<number> {
  const refByKey = new Map<string, StateObjectRef>();
  for (const s of old.subtasks)
    for (const ref of [s.keyed, s.operator]) if (ref) refByKey.set(`${dir}/${ref.path}`, ref);
  let values = 0;
  for (let subtask = 0; subtask < parallelism; subtask++) {
    // The job manager's own assignment: refuses a changed max parallelism of keyed state.
    const handles = restoreHandlesFor(metadata, jobGraph, vertexId, subtask, dir).operators[old.id];
    if (!handles) continue;
    const range = keyGroupRangeOf(old, jobGraph, vertexId, subtask);
    for (const h of handles.keyed) {
      const reader = KeyedSnapshotReader.read(await read(refByKey.get(h.key)!));
      for (const [, [state, key, value]] of reader.entries(range)) {
        decodeEntryValue(value, old, reader.states[state]?.name ?? `#${state}`, key);
        values++;
      }
    }
    if (subtask === 0)
      for (const h of handles.operator)
        values += decodeOperatorSnapshot(await read(refByKey.get(h.key)!)).length;
  }
  return values;
}

function keyGroupRangeOf(old: OperatorStateMetadata, jobGraph: JobGraph, vertexId: string, subtask: number) {
  const vertex = jobGraph.vertices.find((v) => v.id === vertexId)!;
  const op = vertex.operators.find((o) => o.id === old.id)!;
  return keyGroupRangeForSubtask(op.maxParallelism, vertex.parallelism, subtask);
}

/** The names of the operator's keyed and operator states, as its snapshots declare them (timers, internal, left out). */
async function stateNamesOf(
  op: OperatorStateMetadata,
  read: (ref: StateObjectRef) => Promise<Uint8Array>,
): Promise<string> {
  const names = new Set<string>();
  for (const s of op.subtasks) {
    if (s.keyed)
      for (const meta of KeyedSnapshotReader.read(await read(s.keyed)).states)
        if (!meta.name.startsWith(TIMER_STATE_PREFIX)) names.add(meta.name);
    if (s.operator) for (const [name] of decodeOperatorSnapshot(await read(s.operator))) names.add(name);
  }
  return [...names].join(', ');
}
