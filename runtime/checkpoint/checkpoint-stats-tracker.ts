import type { CheckpointAckTimings } from '../rpc/control-protocol';
import type {
  CheckpointDetails,
  CheckpointSummaryStats,
  JobCheckpointStats,
  RestoredCheckpointStats,
  SubtaskCheckpointStats,
} from './checkpoint-stats';

/** Flink's `web.checkpoints.history` default. */
export const CHECKPOINT_HISTORY_SIZE = 10;

interface Tracked {
  summary: Omit<CheckpointSummaryStats, 'durationMs'> & { endTimestamp?: number };
  subtasks: Map<string, SubtaskCheckpointStats>;
}

/**
 * A job's checkpoint statistics across its attempts (Flink's CheckpointStatsTracker): counts,
 * latest completed / failed / restored, and a bounded history with per-subtask acknowledgements.
 */
export class CheckpointStatsTracker {
  private readonly history: Tracked[] = [];
  /** In progress, also when already pushed out of the bounded history. */
  private readonly inProgress = new Map<number, Tracked>();
  private readonly counts = { restored: 0, total: 0, inProgress: 0, completed: 0, failed: 0 };
  private latestCompleted: Tracked | undefined;
  private latestFailed: Tracked | undefined;
  private restored: RestoredCheckpointStats | undefined;

  constructor(private readonly historySize = CHECKPOINT_HISTORY_SIZE) {}

  onTriggered(
    id: number,
    trigger: CheckpointSummaryStats['trigger'],
    timestamp: number,
    totalSubtasks: number,
  ): void {
    this.counts.total++;
    this.counts.inProgress++;
    const tracked: Tracked = {
      summary: {
        id,
        status: 'IN_PROGRESS',
        kind: trigger === 'savepoint' ? 'savepoint' : 'checkpoint',
        trigger,
        triggerTimestamp: timestamp,
        stateSize: 0,
        acknowledgedSubtasks: 0,
        totalSubtasks,
      },
      subtasks: new Map(),
    };
    this.inProgress.set(id, tracked);
    this.history.unshift(tracked);
    if (this.history.length > this.historySize) this.history.pop();
  }

  onAcknowledged(
    id: number,
    vertexId: string,
    subtask: number,
    ackTimestamp: number,
    stateSize: number,
    timings: CheckpointAckTimings,
  ): void {
    const tracked = this.inProgress.get(id);
    if (!tracked) return;
    const key = `${vertexId}/${subtask}`;
    if (tracked.subtasks.has(key)) return;
    tracked.subtasks.set(key, { vertexId, subtask, ackTimestamp, stateSize, ...timings });
    tracked.summary = {
      ...tracked.summary,
      acknowledgedSubtasks: tracked.summary.acknowledgedSubtasks + 1,
      stateSize: tracked.summary.stateSize + stateSize,
      latestAckTimestamp: ackTimestamp,
    };
  }

  onCompleted(id: number, timestamp: number, externalPath: string): void {
    const tracked = this.end(id, 'COMPLETED', timestamp);
    if (!tracked) return;
    tracked.summary = { ...tracked.summary, externalPath };
    this.counts.completed++;
    this.latestCompleted = tracked;
  }

  onFailed(id: number, timestamp: number, failureMessage: string): void {
    const tracked = this.end(id, 'FAILED', timestamp);
    if (!tracked) return;
    tracked.summary = { ...tracked.summary, failureMessage };
    this.counts.failed++;
    this.latestFailed = tracked;
  }

  onRestored(restored: RestoredCheckpointStats): void {
    this.counts.restored++;
    this.restored = restored;
  }

  /** The id of the checkpoint the job restored last, if any. */
  get restoredId(): number | undefined {
    return this.restored?.id;
  }

  stats(now = Date.now()): JobCheckpointStats {
    return {
      counts: { ...this.counts },
      latest: {
        ...(this.latestCompleted ? { completed: summaryOf(this.latestCompleted, now) } : {}),
        ...(this.latestFailed ? { failed: summaryOf(this.latestFailed, now) } : {}),
        ...(this.restored ? { restored: { ...this.restored } } : {}),
      },
      history: this.history.map((t) => summaryOf(t, now)),
    };
  }

  details(id: number, now = Date.now()): CheckpointDetails | undefined {
    const tracked = this.find(id);
    if (!tracked) return undefined;
    const subtasks = [...tracked.subtasks.values()].sort((a, b) =>
      a.vertexId === b.vertexId ? a.subtask - b.subtask : a.vertexId < b.vertexId ? -1 : 1,
    );
    return { ...summaryOf(tracked, now), subtasks };
  }

  private end(id: number, status: 'COMPLETED' | 'FAILED', timestamp: number): Tracked | undefined {
    const tracked = this.inProgress.get(id);
    if (!tracked) return undefined;
    this.inProgress.delete(id);
    this.counts.inProgress--;
    tracked.summary = { ...tracked.summary, status, endTimestamp: timestamp };
    return tracked;
  }

  private find(id: number): Tracked | undefined {
    return this.history.find((t) => t.summary.id === id);
  }
}

function summaryOf(tracked: Tracked, now: number): CheckpointSummaryStats {
  const { endTimestamp, ...summary } = tracked.summary;
  return { ...summary, durationMs: Math.max(0, (endTimestamp ?? now) - summary.triggerTimestamp) };
}
