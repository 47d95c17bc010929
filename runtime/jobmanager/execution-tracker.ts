import type { SerializedError } from '../error-wire';
import type { JobGraph } from '../graph/job-graph';
import type { ExecutionState, OperatorMetrics, TaskMetrics } from '../deployment/execution-state';
import { TERMINAL_STATES } from '../deployment/execution-state';
import type { SubtaskDetails, VertexDetails } from './gateway';

interface SubtaskEntry {
  state: ExecutionState;
  attempt: number;
  taskManagerId?: string;
  host?: string;
  metrics: TaskMetrics;
  /** The report the current time split was measured from. */
  rateBase: TaskMetrics;
  split: TimeSplit;
  error?: SerializedError;
}

/** Flink's task time split over the last metrics interval, in ms per second. */
interface TimeSplit {
  readonly busyTimeMsPerSecond: number;
  readonly idleTimeMsPerSecond: number;
  readonly backPressuredTimeMsPerSecond: number;
}

const EMPTY_METRICS: TaskMetrics = {
  recordsIn: 0,
  recordsOut: 0,
  runningMs: 0,
  busyMs: 0,
  idleMs: 0,
  backPressuredMs: 0,
  operators: [],
};
const NO_SPLIT: TimeSplit = {
  busyTimeMsPerSecond: 0,
  idleTimeMsPerSecond: 0,
  backPressuredTimeMsPerSecond: 0,
};
/** Shorter intervals (a final report right after the previous one) say too little about the split. */
const MIN_RATE_INTERVAL_MS = 500;

/** Execution states and metrics of every subtask of the job's current attempt. */
export class ExecutionTracker {
  private readonly subtasks = new Map<string, SubtaskEntry>();

  constructor(private readonly jobGraph: JobGraph) {}

  /** Starts a new attempt: every subtask CREATED. */
  reset(attempt: number): void {
    this.subtasks.clear();
    for (const v of this.jobGraph.vertices) {
      for (let i = 0; i < v.parallelism; i++) {
        this.subtasks.set(key(v.id, i), {
          state: 'CREATED',
          attempt,
          metrics: EMPTY_METRICS,
          rateBase: EMPTY_METRICS,
          split: NO_SPLIT,
        });
      }
    }
  }

  place(vertexId: string, subtask: number, taskManagerId: string, host: string): void {
    const entry = this.subtasks.get(key(vertexId, subtask));
    if (entry) Object.assign(entry, { taskManagerId, host, state: 'SCHEDULED' as ExecutionState });
  }

  /** Applies a state change; terminal states stick. Returns false when the change was ignored. */
  transition(vertexId: string, subtask: number, state: ExecutionState, error?: SerializedError): boolean {
    const entry = this.subtasks.get(key(vertexId, subtask));
    if (!entry || TERMINAL_STATES.has(entry.state)) return false;
    entry.state = state;
    if (error) entry.error = error;
    return true;
  }

  /** Marks every subtask not yet terminal with `state` (CANCELED when an attempt is torn down). */
  finishAll(state: ExecutionState): void {
    for (const entry of this.subtasks.values()) if (!TERMINAL_STATES.has(entry.state)) entry.state = state;
  }

  report(vertexId: string, subtask: number, metrics: TaskMetrics): void {
    const entry = this.subtasks.get(key(vertexId, subtask));
    if (!entry) return;
    entry.metrics = metrics;
    const elapsed = metrics.runningMs - entry.rateBase.runningMs;
    if (elapsed < MIN_RATE_INTERVAL_MS) return;
    const perSecond = (now: number, before: number) =>
      Math.round(Math.min(1000, Math.max(0, ((now - before) * 1000) / elapsed)));
    entry.split = {
      busyTimeMsPerSecond: perSecond(metrics.busyMs, entry.rateBase.busyMs),
      idleTimeMsPerSecond: perSecond(metrics.idleMs, entry.rateBase.idleMs),
      backPressuredTimeMsPerSecond: perSecond(metrics.backPressuredMs, entry.rateBase.backPressuredMs),
    };
    entry.rateBase = metrics;
  }

  /** The TaskManager a subtask of the current attempt was placed on, if it was. */
  taskManagerOf(vertexId: string, subtask: number): string | undefined {
    return this.subtasks.get(key(vertexId, subtask))?.taskManagerId;
  }

  count(state: ExecutionState): number {
    let n = 0;
    for (const e of this.subtasks.values()) if (e.state === state) n++;
    return n;
  }

  get size(): number {
    return this.subtasks.size;
  }

  /** Subtasks placed on a TaskManager that have not finished. */
  unfinishedOn(taskManagerId: string): number {
    let n = 0;
    for (const e of this.subtasks.values())
      if (e.taskManagerId === taskManagerId && !TERMINAL_STATES.has(e.state)) n++;
    return n;
  }

  stateCounts(): Partial<Record<ExecutionState, number>> {
    const counts: Partial<Record<ExecutionState, number>> = {};
    for (const e of this.subtasks.values()) counts[e.state] = (counts[e.state] ?? 0) + 1;
    return counts;
  }

  vertices(): VertexDetails[] {
    return this.jobGraph.vertices.map((v) => {
      const subtasks: SubtaskDetails[] = Array.from({ length: v.parallelism }, (_, i) => {
        const e = this.subtasks.get(key(v.id, i))!;
        // Only a running task has a current time split.
        const split = e.state === 'RUNNING' ? e.split : NO_SPLIT;
        return {
          subtask: i,
          state: e.state,
          attempt: e.attempt,
          ...(e.taskManagerId ? { taskManagerId: e.taskManagerId, host: e.host } : {}),
          recordsIn: e.metrics.recordsIn,
          recordsOut: e.metrics.recordsOut,
          backPressureRatio: split.backPressuredTimeMsPerSecond / 1000,
          backPressuredMs: Math.round(e.metrics.backPressuredMs),
          ...split,
          operators: e.metrics.operators,
        };
      });
      const ratio = Math.max(0, ...subtasks.map((s) => s.backPressureRatio));
      return {
        id: v.id,
        name: v.name,
        parallelism: v.parallelism,
        slotSharingGroup: v.slotSharingGroup,
        status: aggregateState(subtasks.map((s) => s.state)),
        recordsIn: subtasks.reduce((n, s) => n + s.recordsIn, 0),
        recordsOut: subtasks.reduce((n, s) => n + s.recordsOut, 0),
        // Flink's levels: ok <= 10%, low <= 50%, high above.
        backPressure: { ratio, level: ratio > 0.5 ? 'high' : ratio > 0.1 ? 'low' : 'ok' },
        // Flink shows the busiest subtask: one hot subtask is the bottleneck.
        busyTimeMsPerSecond: Math.max(0, ...subtasks.map((s) => s.busyTimeMsPerSecond)),
        backPressuredTimeMsPerSecond: Math.max(0, ...subtasks.map((s) => s.backPressuredTimeMsPerSecond)),
        operators: sumOperators(subtasks.map((s) => s.operators)),
        subtasks,
      };
    });
  }
}

/** Per operator of a chain, its counts summed over the vertex's subtasks (in chain order). */
function sumOperators(perSubtask: readonly (readonly OperatorMetrics[])[]): OperatorMetrics[] {
  const sums = new Map<string, OperatorMetrics>();
  for (const operators of perSubtask) {
    for (const op of operators) {
      const sum = sums.get(op.id);
      sums.set(
        op.id,
        sum
          ? {
              id: sum.id,
              name: sum.name,
              recordsIn: sum.recordsIn + op.recordsIn,
              recordsOut: sum.recordsOut + op.recordsOut,
              ...lowestWatermark('currentInputWatermark', sum, op),
              ...lowestWatermark('currentOutputWatermark', sum, op),
              ...(sum.lateRecordsDropped !== undefined || op.lateRecordsDropped !== undefined
                ? { lateRecordsDropped: (sum.lateRecordsDropped ?? 0) + (op.lateRecordsDropped ?? 0) }
                : {}),
            }
          : { ...op },
      );
    }
  }
  return [...sums.values()];
}

/**
 * A vertex's watermark is its lowest subtask's (as in Flink); while one subtask has none yet,
 * the vertex has none.
 */
function lowestWatermark<N extends 'currentInputWatermark' | 'currentOutputWatermark'>(
  name: N,
  a: OperatorMetrics,
  b: OperatorMetrics,
): { [K in N]?: number } {
  const x = a[name];
  const y = b[name];
  return (x === undefined || y === undefined ? {} : { [name]: Math.min(x, y) }) as { [K in N]?: number };
}

function key(vertexId: string, subtask: number): string {
  return `${vertexId}/${subtask}`;
}

/** A vertex's state: the least advanced of its subtasks' states, failures first. */
function aggregateState(states: ExecutionState[]): ExecutionState {
  const order: ExecutionState[] = [
    'FAILED',
    'CANCELING',
    'CANCELED',
    'CREATED',
    'SCHEDULED',
    'DEPLOYING',
    'RUNNING',
    'FINISHED',
  ];
  for (const s of order) if (states.includes(s)) return s;
  return 'CREATED';
}
