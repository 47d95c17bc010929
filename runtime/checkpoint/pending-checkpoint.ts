import type { JobGraph } from '../graph/job-graph';
import type { AcknowledgeCheckpointMessage } from '../rpc/control-protocol';
import { SLUICE_VERSION } from '../version';
import type {
  CheckpointMetadata,
  OperatorStateMetadata,
  StateObjectRef,
  SubtaskStateMetadata,
} from './checkpoint-metadata';
import { METADATA_FORMAT, METADATA_VERSION } from './checkpoint-metadata';
import type { CheckpointSummaryStats } from './checkpoint-stats';
import { relativeCheckpointPath } from './checkpoint-storage-layout';
import type { CheckpointingMode } from './checkpointing-mode';
import type { StateHandle } from './state-handles';

export type CheckpointTriggerKind = CheckpointSummaryStats['trigger'];

/** `<vertexId>/<subtask>`: one subtask of the attempt. */
export const subtaskKey = (vertexId: string, subtask: number): string => `${vertexId}/${subtask}`;

/**
 * One checkpoint in progress (Flink's PendingCheckpoint): which subtasks of the attempt still
 * owe an acknowledgement, and the state handles of those that sent one.
 */
export class PendingCheckpoint {
  private readonly acks = new Map<string, AcknowledgeCheckpointMessage>();
  private readonly awaiting: Set<string>;
  /** Subtasks that FINISHED: their state is carried over from the latest completed checkpoint. */
  readonly finished = new Set<string>();
  timeout: NodeJS.Timeout | undefined;
  /** Set once every subtask acknowledged and `_metadata` is being written. */
  finalizing = false;
  /** Where a savepoint is written once complete (undefined for a checkpoint). */
  savepointDir: string | undefined;

  constructor(
    readonly id: number,
    readonly trigger: CheckpointTriggerKind,
    readonly timestamp: number,
    subtasks: readonly string[],
    finished: Iterable<string> = [],
  ) {
    this.awaiting = new Set(subtasks);
    for (const key of finished) this.markFinished(key);
  }

  get totalSubtasks(): number {
    return this.awaiting.size + this.acks.size + this.finished.size;
  }

  /** A subtask FINISHED: no acknowledgement will come; false when it was not awaited. */
  markFinished(key: string): boolean {
    if (!this.awaiting.delete(key)) return false;
    this.finished.add(key);
    return true;
  }

  /** The state carried over for a finished subtask (see `carryFinishedState`). */
  addCarried(ack: AcknowledgeCheckpointMessage): void {
    this.acks.set(subtaskKey(ack.vertexId, ack.subtaskIndex), ack);
  }

  /** Records an acknowledgement; false when the subtask is not (or no longer) awaited. */
  acknowledge(ack: AcknowledgeCheckpointMessage): boolean {
    const key = subtaskKey(ack.vertexId, ack.subtaskIndex);
    if (!this.awaiting.delete(key)) return false;
    this.acks.set(key, ack);
    return true;
  }

  get fullyAcknowledged(): boolean {
    return this.awaiting.size === 0;
  }

  /** Every state object acknowledged so far (to delete them when the checkpoint is aborted late). */
  handles(): StateHandle[] {
    return [...this.acks.values()].flatMap((a) =>
      Object.values(a.operators).flatMap((o) => [o.keyed, o.operator].filter((h) => h !== undefined)),
    );
  }

  /** The `_metadata` fields of this checkpoint once every subtask acknowledged. */
  toMetadata(
    job: { jobId: string; jobGraph: JobGraph; mode: CheckpointingMode },
    completionTimestamp: number,
  ): Omit<CheckpointMetadata, 'checksum'> {
    const { jobId, jobGraph } = job;
    const objectRef = (h: StateHandle): StateObjectRef => ({
      path: relativeCheckpointPath(jobId, this.id, h.key),
      bytes: h.bytes,
      sha256: h.sha256,
      ...(h.states ? { states: [...h.states] } : {}),
    });
    const operators: OperatorStateMetadata[] = [];
    let stateSize = 0;
    for (const vertex of jobGraph.vertices) {
      for (const op of vertex.operators) {
        const subtasks: SubtaskStateMetadata[] = [];
        for (let subtask = 0; subtask < vertex.parallelism; subtask++) {
          const state = this.acks.get(subtaskKey(vertex.id, subtask))?.operators[op.id];
          if (!state?.keyed && !state?.operator) continue;
          const { keyed, operator } = state;
          stateSize += (keyed?.bytes ?? 0) + (operator?.bytes ?? 0);
          subtasks.push({
            subtask,
            ...(keyed
              ? {
                  keyed: {
                    ...objectRef(keyed),
                    keyGroupRange: { start: keyed.keyGroupRange.start, end: keyed.keyGroupRange.end },
                  },
                }
              : {}),
            ...(operator ? { operator: objectRef(operator) } : {}),
          });
        }
        operators.push({
          id: op.id,
          ...(op.uid !== undefined ? { uid: op.uid } : {}),
          name: op.name,
          vertexId: vertex.id,
          parallelism: vertex.parallelism,
          maxParallelism: op.maxParallelism,
          subtasks,
        });
      }
    }
    return {
      format: METADATA_FORMAT,
      version: METADATA_VERSION,
      jobId,
      jobName: jobGraph.jobName,
      checkpointId: this.id,
      kind: this.trigger === 'savepoint' ? 'savepoint' : 'checkpoint',
      trigger: this.trigger,
      triggerTimestamp: this.timestamp,
      completionTimestamp,
      mode: job.mode,
      graphHash: jobGraph.graphHash,
      sluiceVersion: SLUICE_VERSION,
      operators,
      stateSize,
    };
  }
}
