import { randomUUID } from 'node:crypto';
import {
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  StopTaskCommand,
  type Failure,
  type KeyValuePair,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { ConfigError, describeError, ResourceDriverError } from '../../../errors';
import { RESOURCE_FIELDS, type ResourceProfile } from '../../../deployment/resource-profile';
import { createLogger, type Logger } from '../../../util/logger';
import { perJobTaskManagerEnvironment } from '../per-job-taskmanager';
import type { ResourceDriver, TaskManagerLaunchRequest } from '../resource-driver';
import { fargateSizeFor, type FargateTaskSize } from './fargate-sizes';

export interface EcsResourceDriverOptions {
  /** Cluster name or ARN. */
  cluster: string;
  /** TaskManager task definition (family, family:revision or ARN). */
  taskDefinition: string;
  subnets: string[];
  securityGroups: string[];
  /** The TaskManager container in the task definition, target of the overrides. */
  containerName: string;
  /** Only for public subnets without NAT; default false. */
  assignPublicIp?: boolean;
  /** Injected client (tests); otherwise one is created and destroyed on close(). */
  client?: ECSClient;
  /** Region for a client this driver creates; default from the AWS environment. */
  region?: string;
  /** Memory added to the slots' total for the Node process itself; default 512 MiB. */
  processOverheadMiB?: number;
}

/** What DescribeTasks says about a worker this driver started. */
export interface EcsTaskManagerStatus {
  workerId: string;
  /** ECS `lastStatus` (PROVISIONING, PENDING, RUNNING, STOPPED …) or MISSING when unknown to ECS. */
  lastStatus: string;
  desiredStatus?: string;
  stoppedReason?: string;
}

/** RunTask starts at most 10 tasks per call; DescribeTasks takes at most 100 ids. */
export const RUN_TASK_BATCH = 10;
export const DESCRIBE_TASKS_BATCH = 100;
const STOP_CONCURRENCY = 5;

/** SDK errors for which a later attempt can succeed (capacity and throttling, not bad input). */
const RETRYABLE_SDK_ERRORS = new Set([
  'ThrottlingException',
  'ServerException',
  'ServiceUnavailableException',
  'LimitExceededException',
]);

/**
 * Per-job mode on AWS (docs/architecture.md §4): starts TaskManagers as Fargate tasks with ECS RunTask,
 * sized for the request's slot profile, tagged and `startedBy` with the job id, and stops
 * them with StopTask. Worker ids are task ARNs. Tracks what it started so close() stops all.
 */
export class EcsResourceDriver implements ResourceDriver {
  private readonly client: ECSClient;
  private readonly ownsClient: boolean;
  private readonly started = new Set<string>();
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly options: EcsResourceDriverOptions) {
    validateOptions(options);
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? new ECSClient(options.region ? { region: options.region } : {});
    this.log = createLogger('ecs-resource-driver', { cluster: options.cluster });
  }

  /**
   * Launches `count` tasks in RunTask batches of 10. All or nothing: if any batch fails, the
   * tasks already started for this request are stopped and a ResourceDriverError lists the
   * ECS failure reasons (retryable for capacity/throttling, terminal otherwise).
   */
  async startTaskManagers(request: TaskManagerLaunchRequest): Promise<string[]> {
    if (this.closed) throw new ResourceDriverError('ECS resource driver is closed');
    if (!Number.isInteger(request.count) || request.count < 0) {
      throw new ResourceDriverError(`invalid TaskManager count ${request.count}`);
    }
    const size = this.sizeFor(request);
    const launched: string[] = [];
    try {
      for (let remaining = request.count; remaining > 0; remaining -= RUN_TASK_BATCH) {
        const arns = await this.runBatch(request, Math.min(remaining, RUN_TASK_BATCH), size, launched);
        launched.push(...arns);
      }
    } catch (err) {
      await this.stopQuietly(launched, `launch for job ${request.jobId} failed`);
      throw err;
    }
    this.log.info({ jobId: request.jobId, count: launched.length, size }, 'started TaskManagers');
    return launched;
  }

  /** Stops the given workers (StopTask each); ids this driver did not start are ignored. */
  async stopTaskManagers(workerIds: string[]): Promise<void> {
    const known = workerIds.filter((id) => this.started.has(id));
    const failures = await this.stopAll(known, 'stopped by the Sluice resource manager');
    if (failures.length > 0) {
      throw new ResourceDriverError(`could not stop ${failures.length} TaskManager(s)`, {
        reasons: failures,
        retryable: true,
      });
    }
  }

  /** Current ECS status of the given workers, in DescribeTasks batches of 100. */
  async describeTaskManagers(workerIds: string[]): Promise<EcsTaskManagerStatus[]> {
    const out: EcsTaskManagerStatus[] = [];
    for (let i = 0; i < workerIds.length; i += DESCRIBE_TASKS_BATCH) {
      const batch = workerIds.slice(i, i + DESCRIBE_TASKS_BATCH);
      const command = new DescribeTasksCommand({ cluster: this.options.cluster, tasks: batch });
      const res = await this.call('DescribeTasks', () => this.client.send(command));
      for (const task of res.tasks ?? []) {
        if (!task.taskArn) continue;
        out.push({
          workerId: task.taskArn,
          lastStatus: task.lastStatus ?? 'UNKNOWN',
          desiredStatus: task.desiredStatus,
          stoppedReason: task.stoppedReason,
        });
      }
      for (const failure of res.failures ?? []) {
        if (failure.arn) out.push({ workerId: failure.arn, lastStatus: failure.reason ?? 'MISSING' });
      }
    }
    return out;
  }

  /** Workers started and not yet stopped, in launch order. */
  startedWorkerIds(): string[] {
    return [...this.started];
  }

  /** Stops everything this driver started; idempotent. Destroys a client it created. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const failures = await this.stopAll([...this.started], 'Sluice resource driver closed');
    if (this.ownsClient) this.client.destroy();
    if (failures.length > 0) {
      throw new ResourceDriverError(`close could not stop ${failures.length} TaskManager(s)`, {
        reasons: failures,
      });
    }
  }

  private sizeFor(request: TaskManagerLaunchRequest): FargateTaskSize | undefined {
    // The unknown (all-zero) profile: keep the task definition's own size.
    if (RESOURCE_FIELDS.every((f) => request.slotProfile[f] === 0)) return undefined;
    const cpuCores = request.slotProfile.cpuCores * request.slotsPerTaskManager;
    const memoryMiB =
      profileMemoryMb(request.slotProfile) * request.slotsPerTaskManager +
      (this.options.processOverheadMiB ?? 512);
    const size = fargateSizeFor(cpuCores, memoryMiB);
    if (!size) {
      throw new ResourceDriverError(
        `no Fargate task size fits ${request.slotsPerTaskManager} slot(s): ${cpuCores} vCPU, ${memoryMiB} MiB (max 16 vCPU, 120 GiB)`,
        { reasons: ['NO_FARGATE_SIZE'] },
      );
    }
    return size;
  }

  private async runBatch(
    request: TaskManagerLaunchRequest,
    count: number,
    size: FargateTaskSize | undefined,
    launchedSoFar: string[],
  ): Promise<string[]> {
    const input = this.runTaskInput(request, count, size);
    const res = await this.call('RunTask', () => this.client.send(new RunTaskCommand(input)));
    const arns = (res.tasks ?? []).map((t) => t.taskArn).filter((a): a is string => typeof a === 'string');
    for (const arn of arns) this.started.add(arn);
    const failures = res.failures ?? [];
    if (failures.length > 0 || arns.length !== count) {
      // Stop this batch's partial launch here; the caller stops the earlier batches.
      await this.stopQuietly(arns, `launch for job ${request.jobId} failed`);
      const reasons =
        failures.length > 0
          ? failures.map(describeFailure)
          : [`ECS started ${arns.length} of ${count} tasks`];
      throw new ResourceDriverError(
        `RunTask for job ${request.jobId} failed after ${launchedSoFar.length + arns.length} of ${request.count} TaskManagers: ${reasons.join('; ')}`,
        { reasons, retryable: failures.every(isRetryableFailure) },
      );
    }
    return arns;
  }

  private runTaskInput(
    request: TaskManagerLaunchRequest,
    count: number,
    size: FargateTaskSize | undefined,
  ): RunTaskCommandInput {
    const o = this.options;
    return {
      cluster: o.cluster,
      taskDefinition: o.taskDefinition,
      count,
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: o.subnets,
          securityGroups: o.securityGroups,
          assignPublicIp: o.assignPublicIp ? 'ENABLED' : 'DISABLED',
        },
      },
      overrides: {
        ...(size ? { cpu: String(size.cpu), memory: String(size.memoryMiB) } : {}),
        containerOverrides: [{ name: o.containerName, environment: taskManagerEnvironment(request) }],
      },
      startedBy: startedByFor(request.jobId),
      tags: [
        { key: 'sluice:job-id', value: tagValue(request.jobId) },
        { key: 'sluice:role', value: 'taskmanager' },
      ],
      enableECSManagedTags: true,
      // Lets the SDK's own retries of this call be idempotent: no double launch.
      clientToken: randomUUID(),
    };
  }

  private async stopAll(workerIds: string[], reason: string): Promise<string[]> {
    const failures: string[] = [];
    const queue = [...workerIds];
    const worker = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          await this.client.send(new StopTaskCommand({ cluster: this.options.cluster, task: id, reason }));
          this.started.delete(id);
        } catch (err) {
          if (errorName(err) === 'InvalidParameterException') {
            // ECS forgets stopped tasks after a while; a task it cannot find is not running.
            this.started.delete(id);
            continue;
          }
          failures.push(`${id}: ${errorName(err) ?? 'Error'}: ${describeError(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(STOP_CONCURRENCY, queue.length) }, worker));
    return failures;
  }

  private async stopQuietly(workerIds: string[], why: string): Promise<void> {
    const failures = await this.stopAll(workerIds, why);
    if (failures.length > 0) this.log.warn({ failures }, 'could not stop TaskManagers after a failed launch');
  }

  /** Runs one ECS call, turning SDK errors into a ResourceDriverError naming the call. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const name = errorName(err) ?? 'Error';
      throw new ResourceDriverError(`ECS ${what} failed: ${name}: ${describeError(err)}`, {
        reasons: [name],
        cause: err,
        retryable:
          RETRYABLE_SDK_ERRORS.has(name) || (err as { $retryable?: unknown }).$retryable !== undefined,
      });
    }
  }
}

/** Environment overrides for a per-job TaskManager (Sluice config keys as SLUICE_* variables). */
export function taskManagerEnvironment(request: TaskManagerLaunchRequest): KeyValuePair[] {
  return Object.entries(perJobTaskManagerEnvironment(request)).map(([name, value]) => ({ name, value }));
}

function profileMemoryMb(p: ResourceProfile): number {
  return p.heapMb + p.directMb + p.nativeMb + p.networkMb + p.managedMb;
}

/** `startedBy`: up to 128 of [A-Za-z0-9-/_]; lets ListTasks find a job's TaskManagers. */
function startedByFor(jobId: string): string {
  return `sluice-${jobId.replace(/[^A-Za-z0-9/_-]/g, '_')}`.slice(0, 128);
}

function tagValue(value: string): string {
  return value.replace(/[^\p{L}\p{N}\s+\-=._:/@]/gu, '_').slice(0, 256);
}

function describeFailure(f: Failure): string {
  return [f.reason ?? 'UNKNOWN', f.detail, f.arn].filter(Boolean).join(' ');
}

/** Capacity shortages and resource limits pass; a missing task definition or bad input do not. */
function isRetryableFailure(f: Failure): boolean {
  return /capacity|RESOURCE:|throttl|AGENT/i.test(`${f.reason ?? ''} ${f.detail ?? ''}`);
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function validateOptions(o: EcsResourceDriverOptions): void {
  const missing: string[] = [];
  if (!o.cluster) missing.push('cluster');
  if (!o.taskDefinition) missing.push('taskDefinition');
  if (!o.containerName) missing.push('containerName');
  if (o.subnets.length === 0) missing.push('subnets');
  if (o.securityGroups.length === 0) missing.push('securityGroups');
  if (missing.length > 0) throw new ConfigError(`EcsResourceDriver: missing ${missing.join(', ')}`);
}
