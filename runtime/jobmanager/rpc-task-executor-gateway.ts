import type { ControlConnection } from '../rpc/control-protocol';
import { CONTROL } from '../rpc/control-protocol';
import type { CancelJobRequest, DeployTaskRequest } from '../rpc/control-protocol';
import type {
  CheckpointNotice,
  CheckpointTrigger,
  TaskDeployment,
  TaskExecutorGateway,
} from './task-executor-gateway';

/**
 * How long a TaskManager may take to confirm a cancel (its threads are gone). Longer than the
 * TaskManager's own watchdog (`task.cancellation.interval` + `task.cancellation.timeout`, 3.5 min
 * by default), which ends the TaskManager, and so its allocations, when a thread cannot be
 * stopped. The job master does not wait this long to move on; only the slots do.
 */
const CANCEL_CONFIRM_TIMEOUT_MS = 10 * 60_000;

/** A TaskManager in another process, reached over its control connection; every call carries the fencing token. */
/** How long a TaskManager may take to accept a deployment that restores state. */
const RESTORE_DEPLOY_TIMEOUT_MS = 10 * 60_000;

export class RpcTaskExecutorGateway implements TaskExecutorGateway {
  constructor(
    private readonly connection: ControlConnection,
    private readonly fencingToken: () => number,
  ) {}

  async deployTask(deployment: TaskDeployment): Promise<void> {
    const request: DeployTaskRequest = { fencingToken: this.fencingToken(), ...deployment };
    // Restoring downloads (and verifies) the task's state before the deployment is accepted.
    await this.connection.call(
      CONTROL.deployTask,
      request,
      deployment.tdd.restore ? RESTORE_DEPLOY_TIMEOUT_MS : undefined,
    );
  }

  async cancelJob(jobId: string, attempt: number): Promise<void> {
    const request: CancelJobRequest = { fencingToken: this.fencingToken(), jobId, attempt };
    await this.connection.call(CONTROL.cancelJob, request, CANCEL_CONFIRM_TIMEOUT_MS);
  }

  async triggerCheckpoint(trigger: CheckpointTrigger): Promise<void> {
    await this.connection.call(CONTROL.triggerCheckpoint, { fencingToken: this.fencingToken(), ...trigger });
  }

  async notifyCheckpointComplete(notice: CheckpointNotice): Promise<void> {
    await this.connection.call(CONTROL.notifyCheckpointComplete, {
      fencingToken: this.fencingToken(),
      ...notice,
    });
  }

  async abortCheckpoint(notice: CheckpointNotice): Promise<void> {
    await this.connection.call(CONTROL.abortCheckpoint, { fencingToken: this.fencingToken(), ...notice });
  }
}
