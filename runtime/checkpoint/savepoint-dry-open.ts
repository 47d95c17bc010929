import { AsyncWaitOperator } from '../api/operators/async-wait-operator';
import { SinkOperator, SourceOperator } from '../api/operators/source-sink-operators';
import type { OperatorContext, StreamOperator } from '../api/operators/stream-operator';
import { keyGroupRangeForSubtask } from '../graph/key-groups';
import type { StreamNode } from '../graph/stream-graph';
import { HeapKeyedStateBackend } from '../state/heap/heap-keyed-state-backend';
import { OperatorStateBackend } from '../state/operator-state-backend';
import type { OperatorStateMode } from '../state/snapshot-format';
import { KeyedSnapshotReader, decodeOperatorState } from '../state/snapshot-format';

/**
 * The embedded dry run of `sluice savepoint check` that learns which states a new job version
 * uses (docs/architecture.md §8): state is registered lazily, by name, when an operator or its user
 * function asks for it, so the names are known only by running that code. As a task would
 * (Flink registers state in `open`), one subtask of an operator is created, its backends
 * restored from the savepoint, then `initializeState` and `open` run, without any record,
 * timer or mail; then it is disposed. Sources, sinks and async I/O only initialize their
 * state: their `open` starts external work (reading, committing, calls in flight).
 */

/** A state by name and kind: keyed kinds (`value`, `list`, `map`, ...) or an operator state's mode. */
export interface NamedState {
  readonly name: string;
  readonly kind: string;
}

export interface DryOpenResult {
  /** What the operator registered in `initializeState` and `open`, with the kind it asked for. */
  readonly registered: readonly NamedState[];
  /** `open` was not run: it would start external work (source, sink, async I/O). */
  readonly openSkipped: boolean;
  /** What `initializeState` or `open` threw (the restore would fail the same way). */
  readonly failure?: unknown;
}

/** The bytes of one subtask's restore of one operator, as a task receives them. */
export interface OperatorRestoreBytes {
  readonly keyed: readonly Uint8Array[];
  readonly operator: readonly Uint8Array[];
  /** The operator's parallelism in the savepoint. */
  readonly parallelism: number;
}

const OPERATOR_STATE_KINDS: Record<OperatorStateMode, string> = {
  split: 'operator list',
  union: 'union list',
  broadcast: 'broadcast',
};

/** The states of an operator's snapshots (every subtask's keyed and operator state), by name. */
export function statesOfSnapshots(
  keyed: readonly Uint8Array[],
  operator: readonly Uint8Array[],
): NamedState[] {
  const states = new Map<string, string>();
  for (const bytes of keyed)
    for (const meta of KeyedSnapshotReader.read(bytes).states) states.set(meta.name, meta.kind);
  for (const bytes of operator) {
    const content = decodeOperatorState(bytes);
    for (const [name] of content.lists)
      states.set(name, OPERATOR_STATE_KINDS[content.modes.get(name) ?? 'split']);
  }
  return [...states].map(([name, kind]) => ({ name, kind }));
}

/** Restores and opens subtask `subtask` of `node` at `parallelism` (see the module comment). */
export async function dryOpenOperator(
  node: StreamNode,
  subtask: number,
  parallelism: number,
  restore: OperatorRestoreBytes,
  jobParameters: Readonly<Record<string, string>>,
): Promise<DryOpenResult> {
  const operator = node.transformation.createOperator() as StreamOperator;
  const keyed = node.keyed
    ? new HeapKeyedStateBackend(
        node.maxParallelism,
        keyGroupRangeForSubtask(node.maxParallelism, parallelism, subtask),
        node.name,
      )
    : undefined;
  const operatorState = new OperatorStateBackend(node.name);
  const openSkipped =
    operator instanceof SourceOperator ||
    operator instanceof SinkOperator ||
    operator instanceof AsyncWaitOperator;
  let failure: { err: unknown } | undefined;
  try {
    if (restore.keyed.length > 0) keyed?.restore(restore.keyed);
    if (restore.operator.length > 0) operatorState.restore(restore.operator, subtask, parallelism);
    operator.output = { collect() {} };
    operator.sideOutput = { emit() {} };
    operator.watermarks = { emitWatermark() {}, emitStatus() {} };
    await withinTime(
      `initializeState of ${node.name}`,
      operator.initializeState({
        keyedStateBackend: keyed,
        operatorStateBackend: operatorState,
        isRestored: true,
        restoredParallelism: restore.parallelism,
      }),
    );
    if (!openSkipped)
      await withinTime(
        `open() of ${node.name}`,
        operator.open(contextFor(node, subtask, parallelism, keyed, jobParameters)),
      );
  } catch (err) {
    failure = { err };
  } finally {
    await Promise.allSettled([Promise.resolve().then(() => operator.dispose()), keyed?.dispose()]);
  }
  const registered: NamedState[] = [
    ...(keyed?.registeredStates() ?? []),
    ...operatorState.registeredStates().map((s) => ({ name: s.name, kind: OPERATOR_STATE_KINDS[s.mode] })),
  ];
  return { registered, openSkipped, ...(failure ? { failure: failure.err } : {}) };
}

/**
 * How long user code may take to register its state in the dry run. An `open` that waits on
 * a service the check cannot reach would otherwise hang the check (and the deploy gating on it).
 */
const DRY_OPEN_TIMEOUT_MS = 30_000;

async function withinTime(what: string, step: Promise<void> | void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not return within ${DRY_OPEN_TIMEOUT_MS / 1000} s in the dry run`)),
      DRY_OPEN_TIMEOUT_MS,
    );
    timer.unref();
  });
  try {
    await Promise.race([step, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the operator sees of a task that never runs: no output, timers or mail are served. */
function contextFor(
  node: StreamNode,
  subtask: number,
  parallelism: number,
  keyed: HeapKeyedStateBackend | undefined,
  jobParameters: Readonly<Record<string, string>>,
): OperatorContext {
  return {
    operatorId: node.id,
    operatorName: node.name,
    subtaskIndex: subtask,
    parallelism,
    maxParallelism: node.maxParallelism,
    taskName: `${node.name} (${subtask + 1}/${parallelism})`,
    attemptNumber: 0,
    jobParameters,
    taskManagerId: 'savepoint-check',
    sinkContext: { emitOutput() {}, emitResult() {}, attemptNumber: 0 },
    connector: { jobId: 'savepoint-check' },
    keyedState: keyed,
    processingTime: { now: () => Date.now(), schedule: () => () => {} },
    recordTimestamp: { value: undefined },
    autoWatermarkIntervalMs: 0,
    mailbox: { execute() {}, pauseInput() {} },
  };
}
