import type { RpcConnection } from '../rpc/rpc-connection';
import { CONTROL } from './control-messages';
import type { CancelJobRequest, DeployTaskRequest } from './control-messages';
import type { TaskDeployment, TaskExecutorGateway } from './task-executor-gateway';

/** How long a TaskManager may take to stop a job's threads before the job master moves on. */
const CANCEL_TIMEOUT_MS = 10_000;

/** A TaskManager in another process, reached over its control connection; every call carries the fencing token. */
export class RpcTaskExecutorGateway implements TaskExecutorGateway {
  constructor(
    private readonly connection: RpcConnection,
    private readonly fencingToken: () => number,
  ) {}

  async deployTask(deployment: TaskDeployment): Promise<void> {
    const request: DeployTaskRequest = { fencingToken: this.fencingToken(), ...deployment };
    await this.connection.call(CONTROL.deployTask, request);
  }

  async cancelJob(jobId: string, attempt: number): Promise<void> {
    const request: CancelJobRequest = { fencingToken: this.fencingToken(), jobId, attempt };
    await this.connection.call(CONTROL.cancelJob, request, CANCEL_TIMEOUT_MS);
  }
}
