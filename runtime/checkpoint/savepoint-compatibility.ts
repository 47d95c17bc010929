import { describeError } from '../errors';
import type { JobGraph } from '../graph/job-graph';
import type { StreamGraph } from '../graph/stream-graph';
import { keyGroupRangeForSubtask } from '../graph/key-groups';
import { KeyedSnapshotReader, decodeOperatorSnapshot } from '../state/snapshot-format';
import { TIMER_STATE_PREFIX } from '../state/state-descriptors';
import type { OperatorStateMetadata, StateObjectRef } from './checkpoint-metadata';
import { restoreHandlesFor } from './restore-assignment';
import { decodeEntryValue } from './savepoint-inspection';
import type { OpenedSavepoint } from './savepoint-reader';
import type { DryOpenResult, NamedState, OperatorRestoreBytes } from './savepoint-dry-open';
import { dryOpenOperator, statesOfSnapshots } from './savepoint-dry-open';

/** One finding of `sluice savepoint check`; `problem` findings make the job incompatible. */
export interface CompatibilityFinding {
  readonly severity: 'ok' | 'note' | 'warning' | 'problem';
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
  /**
   * Per matched operator whose states differ by name or kind between the savepoint and what the
   * job registered when its operators were opened in the dry run (`stateNames`).
   */
  readonly stateChanges: readonly StateChanges[];
  /** State values read and decoded in the dry run. */
  readonly valuesChecked: number;
}

/** How an operator's states in the savepoint and in the job differ (names as `name (kind)`). */
export interface StateChanges {
  readonly uid: string;
  /** In the savepoint, not registered by the job's operator when opened: not read (unless registered lazily). */
  readonly missing: readonly string[];
  /** Registered by the job's operator, not in the savepoint: they start empty. */
  readonly new: readonly string[];
  /** Registered with another kind than the savepoint's: the restore fails (incompatible). */
  readonly kindChanged: readonly {
    readonly name: string;
    readonly savepoint: string;
    readonly job: string;
  }[];
}

export interface CompatibilityOptions {
  readonly allowNonRestoredState?: boolean;
  /**
   * The job's stream graph (its operators' code): given, every matched operator is restored and
   * opened in the dry run to compare the state names it registers with the savepoint's.
   */
  readonly streamGraph?: StreamGraph;
  /** The job's arguments, as its operators see them when opened. */
  readonly jobParameters?: Readonly<Record<string, string>>;
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
  options: CompatibilityOptions = {},
): Promise<CompatibilityReport> {
  const { metadata, externalPath, dir } = opened.savepoint;
  const findings: CompatibilityFinding[] = [];
  const jobOps = new Map(
    jobGraph.vertices.flatMap((v) => v.operators.map((op) => [op.id, { op, vertex: v }])),
  );
  const stateful = metadata.operators.filter((op) => op.subtasks.length > 0);
  const matched = stateful.filter((op) => jobOps.has(op.id));
  const unmatched = stateful.filter((op) => !jobOps.has(op.id));
  // New: not in the savepoint at all (an operator it lists without state was there, stateless).
  const saved = new Set(metadata.operators.map((op) => op.id));
  const added = [...jobOps.values()].filter(({ op }) => !saved.has(op.id));
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
  const stateChanges: StateChanges[] = [];
  const nodes = new Map(options.streamGraph?.nodes.map((n) => [n.id, n]));
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
      const node = nodes.get(old.id);
      if (!node) continue;
      // One subtask opens: what an operator registers does not depend on which one it is.
      const restore = await restoreBytesFor(old, jobGraph, vertex.id, 0, dir, metadata, read);
      const opened = await dryOpenOperator(node, 0, vertex.parallelism, restore, options.jobParameters ?? {});
      const changes = compareStates(old.uid ?? old.id, await savedStatesOf(old, read), opened);
      if (changes.missing.length + changes.new.length + changes.kindChanged.length > 0)
        stateChanges.push(changes);
      findings.push(...stateFindings(label(old), changes, opened));
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
    stateChanges,
    valuesChecked,
  };
}

/** The states of the operator in the savepoint (every subtask's), with their kinds. */
async function savedStatesOf(
  old: OperatorStateMetadata,
  read: (ref: StateObjectRef) => Promise<Uint8Array>,
): Promise<NamedState[]> {
  const all = (refs: (StateObjectRef | undefined)[]) =>
    Promise.all(refs.flatMap((ref) => (ref ? [read(ref)] : [])));
  return statesOfSnapshots(
    await all(old.subtasks.map((s) => s.keyed)),
    await all(old.subtasks.map((s) => s.operator)),
  );
}

/** Missing, new and changed states of one operator: the savepoint's against those the job registered. */
function compareStates(uid: string, saved: readonly NamedState[], opened: DryOpenResult): StateChanges {
  const savedKind = new Map(saved.map((s) => [s.name, s.kind]));
  const registered = new Set(opened.registered.map((s) => s.name));
  const show = (s: NamedState): string => `${s.name} (${s.kind})`;
  return {
    uid,
    missing: saved.filter((s) => !registered.has(s.name)).map(show),
    new: opened.registered.filter((s) => !savedKind.has(s.name)).map(show),
    kindChanged: opened.registered
      .filter((s) => savedKind.has(s.name) && savedKind.get(s.name) !== s.kind)
      .map((s) => ({ name: s.name, savepoint: savedKind.get(s.name)!, job: s.kind })),
  };
}

/**
 * Findings for one operator's state names. A kind change fails the restore (Flink refuses an
 * incompatible state type too); missing and new states only warn: a missing one may be
 * registered lazily, on the first record, and then restores; a new one starts empty.
 */
function stateFindings(what: string, changes: StateChanges, opened: DryOpenResult): CompatibilityFinding[] {
  const findings: CompatibilityFinding[] = changes.kindChanged.map((c) => ({
    severity: 'problem',
    message: `operator ${what}: state '${c.name}' is ${c.savepoint} state in the savepoint, but the job registers it as ${c.job} state: it cannot restore (keep its kind, or give the new state another name)`,
  }));
  if (opened.failure !== undefined)
    findings.push({
      severity: 'problem',
      message:
        changes.kindChanged.length > 0
          ? `operator ${what}: the dry run's open() stopped there; states it registers after that were not compared`
          : `operator ${what}: initializeState/open() failed in the dry run: ${describeError(opened.failure)}`,
    });
  if (changes.missing.length > 0)
    findings.push({
      severity: 'warning',
      message: `operator ${what}: state missing [${changes.missing.join(', ')}]: in the savepoint, but the job did not register it when the operator was opened${opened.openSkipped ? '' : ' (open())'}; it is not read, unless the operator registers it lazily on its first record (then it restores)`,
    });
  if (changes.new.length > 0)
    findings.push({
      severity: 'warning',
      message: `operator ${what}: state new [${changes.new.join(', ')}]: registered by the job, not in the savepoint: it starts empty`,
    });
  return findings;
}

/** The bytes subtask `subtask` of the job restores for operator `old`, read (verified) from the savepoint. */
async function restoreBytesFor(
  old: OperatorStateMetadata,
  jobGraph: JobGraph,
  vertexId: string,
  subtask: number,
  dir: string,
  metadata: OpenedSavepoint['savepoint']['metadata'],
  read: (ref: StateObjectRef) => Promise<Uint8Array>,
): Promise<OperatorRestoreBytes> {
  const refByKey = refsByKey(old, dir);
  const handles = restoreHandlesFor(metadata, jobGraph, vertexId, subtask, dir).operators[old.id];
  const bytes = (hs: readonly { key: string }[] = []) =>
    Promise.all(hs.map((h) => read(refByKey.get(h.key)!)));
  return {
    keyed: await bytes(handles?.keyed),
    operator: await bytes(handles?.operator),
    parallelism: old.parallelism,
  };
}

function refsByKey(old: OperatorStateMetadata, dir: string): Map<string, StateObjectRef> {
  const refByKey = new Map<string, StateObjectRef>();
  for (const s of old.subtasks)
    for (const ref of [s.keyed, s.operator]) if (ref) refByKey.set(`${dir}/${ref.path}`, ref);
  return refByKey;
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
  const refByKey = refsByKey(old, dir);
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
  const states = await savedStatesOf(op, read);
  return states
    .filter((s) => !s.name.startsWith(TIMER_STATE_PREFIX))
    .map((s) => s.name)
    .join(', ');
}
