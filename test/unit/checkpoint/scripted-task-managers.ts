import type { CheckpointCoordinator } from '../../../runtime/checkpoint/checkpoint-coordinator';
import type {
  CheckpointTaskManagerGateway,
  CoordinatedTask,
} from '../../../runtime/checkpoint/checkpoint-messenger';
import type { TaskDeploymentDescriptor } from '../../../runtime/deployment/task-deployment';
import type { JobGraph } from '../../../runtime/graph/job-graph';
import { keyGroupRangeForSubtask } from '../../../runtime/graph/key-groups';
import type {
  CheckpointNoticeRequest,
  TriggerCheckpointRequest,
} from '../../../runtime/rpc/control-protocol';
import type { BlobStore } from '../../../runtime/storage/blob-store';
import { CheckpointTransfer } from '../../../runtime/taskmanager/checkpoint-transfer';

export type Notice = Omit<CheckpointNoticeRequest, 'fencingToken'>;
export type Trigger = Omit<TriggerCheckpointRequest, 'fencingToken'>;

/** How the scripted tasks answer checkpoint n. */
export type Answer = 'ack' | 'decline' | 'silent' | { delayMs: number };

/** Two vertices: a source and a keyed counter with an arbitrary uid, both at parallelism 2. */
export const JOB_GRAPH = {
  formatVersion: 1,
  jobName: 'scripted',
  graphHash: 'hash-1',
  settings: {
    parallelism: 2,
    maxParallelism: 128,
    chaining: true,
    twoInputChaining: true,
    bufferTimeoutMs: 100,
  },
  vertices: [
    {
      id: 'src',
      name: 'src',
      parallelism: 2,
      slotSharingGroup: 'default',
      operators: [
        { id: 'src', name: 'src', kind: 'source', maxParallelism: 128, inputCount: 0, keyed: false },
      ],
      chainedEdges: [],
    },
    {
      id: 'my counter/✓',
      name: 'count',
      parallelism: 2,
      slotSharingGroup: 'default',
      operators: [
        {
          id: 'my counter/✓',
          uid: 'my counter/✓',
          name: 'count',
          kind: 'process',
          maxParallelism: 128,
          inputCount: 1,
          keyed: true,
        },
      ],
      chainedEdges: [],
    },
  ],
  edges: [],
} as unknown as JobGraph;

export const TASKS: CoordinatedTask[] = JOB_GRAPH.vertices.flatMap((v) =>
  [0, 1].map((subtaskIndex) => ({
    vertexId: v.id,
    subtaskIndex,
    taskManagerId: `tm-${subtaskIndex}`,
    isSource: v.id === 'src',
  })),
);

/** The bytes subtask `s` of `vertexId` snapshots for checkpoint n: checkable after a restore. */
export const snapshotBytes = (vertexId: string, s: number, n: number): Uint8Array =>
  Buffer.from(`${vertexId}#${s}@${n}`);

/**
 * Stands in for the TaskManagers AND their task threads (helper A's side, not available to
 * these unit tests): a trigger is answered as the tasks of the attempt would answer it once
 * barriers flowed: every subtask (not only the triggered sources) sends a snapshot, which goes
 * through the real TaskManager upload (`CheckpointTransfer`, SHA-256, layout keys) into the
 * real blob store before the acknowledgement reaches the coordinator. `answer` scripts
 * acknowledgements, declines, silence (timeouts) and slow tasks per checkpoint.
 */
export class ScriptedTaskManagers implements CheckpointTaskManagerGateway {
  readonly triggers: Trigger[] = [];
  readonly completed: Notice[] = [];
  readonly aborted: Notice[] = [];
  readonly transfer: CheckpointTransfer;
  /** Where acknowledgements go: the coordinator, or the job master's side of it. */
  coordinator!: Pick<CheckpointCoordinator, 'acknowledge' | 'decline'>;
  answer: (checkpointId: number) => Answer = () => 'ack';
  /** Subtasks (`vertexId/subtask`) that finished: they acknowledge nothing any more. */
  readonly finished = new Set<string>();

  constructor(
    blobs: BlobStore,
    private readonly jobId: string,
    private readonly attempt = 0,
  ) {
    this.transfer = new CheckpointTransfer(blobs);
    for (const v of JOB_GRAPH.vertices)
      for (const subtaskIndex of [0, 1]) {
        const keyGroupRanges = Object.fromEntries(
          v.operators.map((op) => [
            op.id,
            keyGroupRangeForSubtask(op.maxParallelism, v.parallelism, subtaskIndex),
          ]),
        );
        this.transfer.register({
          jobId,
          attempt,
          vertexId: v.id,
          subtaskIndex,
          checkpointing: { mode: 'exactly-once', keyGroupRanges },
        } as unknown as TaskDeploymentDescriptor);
      }
  }

  async triggerCheckpoint(trigger: Trigger): Promise<void> {
    this.triggers.push(trigger);
    // Each TaskManager gets its own trigger; answer once, for the whole attempt, on the first.
    if (this.triggers.filter((t) => t.checkpointId === trigger.checkpointId).length === 1)
      setImmediate(() =>
        this.respond(trigger.checkpointId).catch((err: unknown) => {
          // Shown in the test output: an answer that failed explains a timeout that follows.
          console.error(`scripted answer to checkpoint ${trigger.checkpointId} failed`, err);
        }),
      );
  }

  async notifyCheckpointComplete(notice: Notice): Promise<void> {
    this.completed.push(notice);
  }

  async abortCheckpoint(notice: Notice): Promise<void> {
    this.aborted.push(notice);
  }

  /** Every subtask's snapshot for checkpoint n, uploaded and acknowledged. */
  async ackAll(checkpointId: number): Promise<void> {
    for (const t of TASKS) {
      if (this.finished.has(`${t.vertexId}/${t.subtaskIndex}`)) continue;
      const key = {
        jobId: this.jobId,
        attempt: this.attempt,
        vertexId: t.vertexId,
        subtaskIndex: t.subtaskIndex,
      };
      const bytes = snapshotBytes(t.vertexId, t.subtaskIndex, checkpointId);
      const state = t.isSource ? { operator: bytes } : { keyed: bytes, operator: bytes };
      const message = await this.transfer.upload(key, {
        checkpointId,
        operators: { [t.vertexId]: state },
        timings: { alignmentMs: 1, syncMs: 2, asyncMs: 3 },
      });
      this.coordinator.acknowledge(message);
    }
  }

  private async respond(checkpointId: number): Promise<void> {
    const answer = this.answer(checkpointId);
    if (answer === 'silent') return;
    if (answer === 'decline') {
      this.coordinator.decline({
        jobId: this.jobId,
        attempt: this.attempt,
        vertexId: 'my counter/✓',
        subtaskIndex: 1,
        checkpointId,
        error: { name: 'Error', message: 'scripted decline' },
      });
      return;
    }
    if (typeof answer === 'object') await new Promise((r) => setTimeout(r, answer.delayMs));
    await this.ackAll(checkpointId);
  }
}
