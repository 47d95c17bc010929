import { setTimeout as sleep } from 'node:timers/promises';
import type { SlotRegistry } from '../coordination/slot-registry';
import type { NetworkSettings, TaskDeploymentDescriptor } from '../deployment/task-deployment';
import { createDeploymentDescriptor } from '../deployment/task-deployment';
import { JobFailedError } from '../errors';
import type { ExecutionVertex } from '../graph/execution-graph';
import { buildExecutionGraph } from '../graph/execution-graph';
import type { PeerAddress } from '../network/exchange-transport';
import type { Logger } from '../util/logger';
import type { ExecutionTracker } from './execution-tracker';
import type { JobSubmission } from './gateway';
import type { SlotAssignment } from './slot-scheduler';
import type { ResourceManagerGateway } from './task-executor-gateway';

/** How long a job waits for its TaskManagers to confirm a cancel before it moves on. */
const CANCEL_WAIT_MS = 10_000;

/** One attempt of a job on its slots: what deploying and tearing it down need. */
export interface AttemptOnSlots {
  readonly jobId: string;
  readonly attempt: number;
  readonly submission: JobSubmission;
  readonly slots: readonly SlotAssignment[];
  readonly exchange: 'tcp' | 'sqs';
  readonly network: Omit<NetworkSettings, 'bufferTimeoutMs'>;
  readonly resourceManager: ResourceManagerGateway;
  readonly registry: SlotRegistry;
  readonly tracker: ExecutionTracker;
  readonly logger: Logger;
  /** What a subtask's descriptor carries about checkpoints (settings, state to restore). */
  readonly forSubtask?: (
    vertexId: string,
    subtask: number,
  ) => Pick<TaskDeploymentDescriptor, 'checkpointing' | 'restore'>;
}

/** Deploys every subtask of the attempt to the TaskManager of its slot (subtask k of a group in its k-th slot). */
export async function deployAttempt(a: AttemptOnSlots): Promise<void> {
  const { jobGraph } = a.submission;
  const vertices = buildExecutionGraph(jobGraph, a.jobId, a.attempt);
  // Looked up once per channel end: index the slots instead of searching them.
  const groupOf = new Map(jobGraph.vertices.map((v) => [v.id, v.slotSharingGroup]));
  const slots = new Map(a.slots.map((s) => [`${s.group}/${s.index}`, s]));
  const slotOf = (vertexId: string, subtask: number): SlotAssignment =>
    slots.get(`${groupOf.get(vertexId)!}/${subtask}`)!;
  await Promise.all(vertices.map((v) => deploySubtask(a, v, slotOf)));
}

async function deploySubtask(
  a: AttemptOnSlots,
  vertex: ExecutionVertex,
  slotOf: (vertexId: string, subtask: number) => SlotAssignment,
): Promise<void> {
  const { submission } = a;
  const slot = slotOf(vertex.vertexId, vertex.subtaskIndex);
  const network: NetworkSettings = {
    ...a.network,
    bufferTimeoutMs: submission.jobGraph.settings.bufferTimeoutMs,
  };
  // modulePath is the TaskManager's business: it fills in where it cached the bundle.
  const code = {
    modulePath: '',
    args: submission.args,
    buildSettings: submission.buildSettings,
    graphHash: submission.jobGraph.graphHash,
  };
  const tdd: TaskDeploymentDescriptor = {
    ...createDeploymentDescriptor(a.jobId, a.attempt, submission.jobGraph, code, vertex, network),
    ...a.forSubtask?.(vertex.vertexId, vertex.subtaskIndex),
  };
  const remotePeers: Record<string, PeerAddress> = {};
  for (const channel of [...vertex.inputs, ...vertex.outputs].flatMap((g) => g.channels)) {
    const peer = slotOf(channel.peerVertex, channel.peerSubtask);
    if (peer.taskManagerId !== slot.taskManagerId) {
      remotePeers[channel.id] = {
        taskManagerId: peer.taskManagerId,
        host: peer.dataHost,
        port: peer.dataPort,
      };
    }
  }
  a.tracker.place(vertex.vertexId, vertex.subtaskIndex, slot.taskManagerId, slot.dataHost);
  const taskExecutor = a.resourceManager.taskExecutor(slot.taskManagerId);
  if (!taskExecutor) throw new JobFailedError(`TaskManager ${slot.taskManagerId} is not connected`);
  a.tracker.transition(vertex.vertexId, vertex.subtaskIndex, 'DEPLOYING');
  await taskExecutor.deployTask({
    tdd,
    artifact: submission.artifact,
    remotePeers,
    heapMb: slot.heapMb,
    exchange: a.exchange,
  });
}

/**
 * Cancels the attempt's tasks and frees their slots. A TaskManager answers the cancel only once
 * the task threads are gone, and only then are its slots freed: a slot whose thread is still
 * stopping (`task.cancellation.*`) stays allocated, so no other task lands next to a thread that
 * still burns its CPU. Resolves after CANCEL_WAIT_MS at most; the slots are freed when they can.
 */
export async function releaseAttempt(a: AttemptOnSlots): Promise<void> {
  if (a.slots.length === 0) {
    // No attempt was deployed: free what a failed allocation may have left behind.
    await a.registry.freeJobSlots(a.jobId).catch(() => 0);
    return;
  }
  const released = [...new Set(a.slots.map((s) => s.taskManagerId))].map((id) =>
    cancelOn(a, id).then(() => freeSlotsOn(a, id)),
  );
  // Unref'd: a wait that lost the race must not keep a finished process alive for its 10 s.
  await Promise.race([Promise.allSettled(released), sleep(CANCEL_WAIT_MS, undefined, { ref: false })]);
}

/** Resolves when the TaskManager confirmed its tasks are gone, or it is gone itself. */
async function cancelOn(a: AttemptOnSlots, taskManagerId: string): Promise<void> {
  try {
    await a.resourceManager.taskExecutor(taskManagerId)?.cancelJob(a.jobId, a.attempt);
  } catch (err) {
    a.logger.warn(
      { jobId: a.jobId, taskManagerId, err },
      'TaskManager did not confirm the cancel; freeing its slots anyway',
    );
  }
}

async function freeSlotsOn(a: AttemptOnSlots, taskManagerId: string): Promise<void> {
  const held = a.slots.filter((s) => s.taskManagerId === taskManagerId);
  await Promise.all(
    held.map((s) =>
      a.registry
        .freeSlot(taskManagerId, s.slotIndex, s.allocationId)
        .catch((err: unknown) =>
          a.logger.warn({ jobId: a.jobId, taskManagerId, index: s.slotIndex, err }, 'freeing a slot failed'),
        ),
    ),
  );
}
