import { rmSync } from 'node:fs';
import type { MessagePort, ResourceLimits } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type { SerializedError } from '../error-wire';
import { serializeError } from '../error-wire';
import { defaultConfig } from '../config';
import type { ChannelProvider } from '../network/channel-provider';
import type { StateSettings } from '../state/state-backend-factory';
import { stateSettingsFrom, taskStateSettings } from '../state/state-backend-factory';
import type { Logger } from '../util/logger';
import { createLogger } from '../util/logger';
import type { TaskDeploymentDescriptor } from '../deployment/task-deployment';
import { taskName } from '../deployment/task-deployment';
import type { TaskRestoreState } from '../checkpoint/state-handles';
import type { StopMode } from '../checkpoint/checkpointing-mode';
import type { S3PathScope } from '../storage/s3-path';
import type { TaskBlobReply, TaskBlobRequest, TaskControlMessage, TaskThreadMessage } from './task-reporter';
import type { ExecutionState, TaskMetrics } from '../deployment/execution-state';
import { TERMINAL_STATES } from '../deployment/execution-state';
import { taskThreadEnvironment } from './task-thread-env';
import { PendingBlobPuts } from './task-blob-access';
import { taskThreadExecArgv, taskThreadScript } from './task-thread-script';

/** Identifies one deployed subtask attempt. */
export interface TaskKey {
  readonly jobId: string;
  readonly attempt: number;
  readonly vertexId: string;
  readonly subtaskIndex: number;
}

export interface TaskEvents {
  onStateChange(task: TaskKey, state: ExecutionState, error?: SerializedError): void;
  /**
   * Output of a task, `bytes` its approximate size. A returned promise holds back the task's
   * acknowledgement until it settles: that is the task thread's output back pressure.
   */
  onOutput(task: TaskKey, lines: string[], bytes: number): void | Promise<void>;
  onResults(task: TaskKey, values: unknown[], bytes: number): void | Promise<void>;
  onMetrics?(task: TaskKey, metrics: TaskMetrics): void;
  /** The task's snapshot for a checkpoint (bytes by operator id), to upload and acknowledge. */
  onCheckpointAck?(task: TaskKey, ack: CheckpointAckFromTask): void;
  onCheckpointDeclined?(task: TaskKey, checkpointId: number, error: SerializedError): void;
  /** With checkpointing on: the task's input ended; it waits for the final checkpoint. */
  onEndOfInput?(task: TaskKey): void;
  /** A blob-store call from the task thread; the executor answers it with the reply. */
  onBlobRequest?(task: TaskKey, request: TaskBlobRequest): Promise<TaskBlobReply>;
}

/** A task thread's `checkpoint-ack`, as the executor hands it on. */
export type CheckpointAckFromTask = Omit<Extract<TaskThreadMessage, { type: 'checkpoint-ack' }>, 'type'>;

interface RunningTask {
  readonly key: TaskKey;
  readonly name: string;
  readonly worker: Worker;
  state: ExecutionState;
  /** Resolves when the thread has exited. */
  readonly exited: Promise<void>;
  /** Blob puts of the task not answered yet (a checkpoint ack waits for them). */
  readonly blobPuts: PendingBlobPuts;
}

/** How a canceled task is stopped (`task.cancellation.*`, Flink's names). */
export interface TaskCancellation {
  /** How long a task may take to stop by itself after cancel before its thread is terminated. */
  readonly graceMs: number;
  /**
   * How long a terminated thread may take to really exit (a thread stuck in a native call
   * cannot be interrupted) before `onStuck` is called.
   */
  readonly timeoutMs: number;
  /** Called once per thread still alive `timeoutMs` after it was terminated. */
  readonly onStuck?: (task: TaskKey, name: string) => void;
}

export const DEFAULT_TASK_CANCELLATION: TaskCancellation = { graceMs: 30_000, timeoutMs: 180_000 };

/**
 * Runs deployed tasks, each in its own worker thread, and relays what they report.
 * This is the TaskManager's task executor; the embedded mini cluster uses it too.
 */
export class TaskExecutor {
  private readonly tasks = new Map<string, RunningTask>();
  /**
   * Per job, the attempts that had a task deployed here and whose channels are not released
   * yet. Attempt numbers are sparse (a recovering leader starts at `token × 10 000`), so a
   * cancel releases these, never a whole range of numbers.
   */
  private readonly attemptsWithChannels = new Map<string, Set<number>>();

  constructor(
    private readonly channels: ChannelProvider,
    private readonly events: TaskEvents,
    private readonly cancellation: TaskCancellation = DEFAULT_TASK_CANCELLATION,
    private readonly logger: Logger = createLogger('task-executor'),
  ) {}

  /** Starts the task's thread. `ports` default to what the channel provider gives for the task. */
  deploy(
    tdd: TaskDeploymentDescriptor,
    options: {
      resourceLimits?: ResourceLimits;
      ports?: Map<string, MessagePort>;
      /** The TaskManager running the task, named by connectors in their errors. */
      taskManagerId?: string;
      /** The TaskManager's state settings; the default config's when not given. */
      state?: StateSettings;
      /** The downloaded state of `tdd.restore`. */
      restore?: TaskRestoreState;
      /** The bucket and prefix the task's `s3://` paths may name (see `TaskBlobAccess`). */
      s3Scope?: S3PathScope;
    } = {},
  ): TaskKey {
    const key: TaskKey = {
      jobId: tdd.jobId,
      attempt: tdd.attempt,
      vertexId: tdd.vertexId,
      subtaskIndex: tdd.subtaskIndex,
    };
    const ports = options.ports ?? this.channels.portsFor(tdd);
    const attempts = this.attemptsWithChannels.get(key.jobId) ?? new Set<number>();
    this.attemptsWithChannels.set(key.jobId, attempts.add(key.attempt));
    const state = taskStateSettings(options.state ?? defaultStateSettings(), key);
    const worker = new Worker(taskThreadScript(this.logger), {
      execArgv: taskThreadExecArgv(),
      workerData: {
        tdd,
        ports: Object.fromEntries(ports),
        taskManagerId: options.taskManagerId ?? 'embedded',
        state,
        ...(options.restore ? { restore: options.restore } : {}),
        ...(options.s3Scope ? { s3Scope: options.s3Scope } : {}),
      },
      transferList: [...ports.values()],
      resourceLimits: options.resourceLimits,
      name: taskName(tdd),
      // Job code runs in this thread: it gets the environment without the cluster's secrets.
      env: taskThreadEnvironment(),
    });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const task: RunningTask = {
      key,
      name: taskName(tdd),
      worker,
      state: 'DEPLOYING',
      exited,
      blobPuts: new PendingBlobPuts(),
    };
    this.tasks.set(taskId(key), task);
    worker.on('message', (m: TaskThreadMessage) => this.onMessage(task, m));
    worker.on('error', (err: Error & { code?: string }) =>
      this.transition(
        task,
        'FAILED',
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? outOfMemory(task.name, options.resourceLimits)
          : { name: err.name, message: err.message, stack: err.stack },
      ),
    );
    worker.on('exit', (code) => {
      this.tasks.delete(taskId(key));
      removeTaskStateDir(state.taskDir);
      if (task.state === 'CANCELING') {
        this.transition(task, 'CANCELED');
      } else if (!TERMINAL_STATES.has(task.state)) {
        this.transition(task, 'FAILED', {
          name: 'Error',
          message: `task thread exited with code ${code} before finishing`,
        });
      }
    });
    this.events.onStateChange(key, 'DEPLOYING');
    return key;
  }

  /** Fails one task from outside (its channels broke): stops its thread and reports FAILED. */
  async failTask(key: TaskKey, error: SerializedError): Promise<void> {
    const task = this.tasks.get(taskId(key));
    if (!task) return;
    this.transition(task, 'FAILED', error);
    await task.worker.terminate();
  }

  /**
   * Stops every task of a job up to attempt `upToAttempt` (all when omitted) and forgets the
   * channels of those attempts that ran here (and of `upToAttempt` itself); resolves only when
   * the threads have exited, so a caller that frees slots afterwards never hands out a slot
   * whose thread still runs. Channels are released per attempt, so a later attempt of the same
   * job (even one deployed while this cancel waits) is not affected.
   */
  async cancelJob(jobId: string, upToAttempt?: number): Promise<void> {
    const victims = [...this.tasks.values()].filter(
      (t) => t.key.jobId === jobId && (upToAttempt === undefined || t.key.attempt <= upToAttempt),
    );
    // Chosen now: an attempt deployed while these tasks stop (a new leader is quick) is not ours.
    const attempts = this.attemptsWithChannels.get(jobId) ?? new Set<number>();
    const released = [...attempts].filter((a) => upToAttempt === undefined || a <= upToAttempt);
    // The named attempt too: its deployment may have failed here before any task started,
    // while peers already send to it.
    if (upToAttempt !== undefined && !attempts.has(upToAttempt)) released.push(upToAttempt);
    for (const attempt of released) attempts.delete(attempt);
    if (attempts.size === 0) this.attemptsWithChannels.delete(jobId);
    await Promise.all(victims.map((t) => this.cancelTask(t)));
    for (const attempt of released) this.channels.release(`${jobId}/${attempt}/`);
  }

  /**
   * Asks the task to stop (its thread exits between two turns of its event loop); after
   * `graceMs` terminates the thread, which also interrupts a synchronous loop; if even that does
   * not end it within `timeoutMs` (a native call that never returns), reports it as stuck and
   * keeps waiting: the thread, and so the caller's slot, is not free until it is gone.
   */
  private async cancelTask(task: RunningTask): Promise<void> {
    if (!TERMINAL_STATES.has(task.state)) this.transition(task, 'CANCELING');
    task.worker.postMessage({ type: 'cancel' });
    const { graceMs, timeoutMs, onStuck } = this.cancellation;
    if (await exitsWithin(task.exited, graceMs)) return;
    this.logger.warn(
      { task: task.name, graceMs },
      'task did not stop within task.cancellation.interval after cancel: terminating its thread',
    );
    void task.worker.terminate();
    if (await exitsWithin(task.exited, timeoutMs)) {
      this.logger.info({ task: task.name }, 'thread of the canceled task terminated; its slot is free');
      return;
    }
    this.logger.error(
      { task: task.name, timeoutMs },
      'thread of the canceled task is still running after task.cancellation.timeout (stuck in a call that never returns); its slot stays unusable',
    );
    onStuck?.(task.key, task.name);
    await task.exited;
  }

  /** Tells one task to start a checkpoint; false when it does not run here (any more). */
  triggerCheckpoint(key: TaskKey, checkpointId: number, timestamp: number, stop?: StopMode): boolean {
    return this.post(key, { type: 'trigger-checkpoint', checkpointId, timestamp, ...(stop ? { stop } : {}) });
  }

  /** Tells every task of the job attempt that a checkpoint completed (or was aborted). */
  notifyCheckpoint(
    jobId: string,
    attempt: number,
    checkpointId: number,
    outcome: 'complete' | 'aborted',
  ): void {
    for (const task of this.tasks.values()) {
      if (task.key.jobId !== jobId || task.key.attempt !== attempt) continue;
      this.post(task.key, {
        type: outcome === 'complete' ? 'checkpoint-complete' : 'checkpoint-aborted',
        checkpointId,
      });
    }
  }

  runningTasks(): TaskKey[] {
    return [...this.tasks.values()].map((t) => t.key);
  }

  async close(): Promise<void> {
    await Promise.all([...this.tasks.values()].map((t) => t.worker.terminate()));
    this.tasks.clear();
  }

  private onMessage(task: RunningTask, message: TaskThreadMessage): void {
    switch (message.type) {
      case 'state':
        this.transition(task, message.state, message.error);
        if (TERMINAL_STATES.has(message.state)) void task.worker.terminate();
        return;
      case 'output':
        return this.acknowledge(task, message.bytes, () =>
          this.events.onOutput(task.key, message.lines, message.bytes),
        );
      case 'results':
        return this.acknowledge(task, message.bytes, () =>
          this.events.onResults(task.key, message.values, message.bytes),
        );
      case 'metrics':
        this.events.onMetrics?.(task.key, message.metrics);
        return;
      case 'checkpoint-ack': {
        const { type: _type, ...ack } = message;
        // What a sink staged through the blob store for this checkpoint was put before the ack:
        // it must be stored before the checkpoint can complete (its commit needs it).
        if (task.blobPuts.size === 0) this.events.onCheckpointAck?.(task.key, ack);
        else void this.ackAfterPuts(task, ack);
        return;
      }
      case 'checkpoint-declined':
        this.events.onCheckpointDeclined?.(task.key, message.checkpointId, message.error);
        return;
      case 'end-of-input':
        this.events.onEndOfInput?.(task.key);
        return;
      case 'blob':
        return this.answerBlobRequest(task, message.id, message.request);
    }
  }

  private answerBlobRequest(task: RunningTask, id: number, request: TaskBlobRequest): void {
    const handler = this.events.onBlobRequest;
    const reply: Promise<TaskBlobReply> = handler
      ? handler(task.key, request).catch((err: unknown) => ({ ok: false, error: serializeError(err) }))
      : Promise.resolve({
          ok: false,
          error: { name: 'Error', message: 'this TaskManager has no blob store for tasks' },
        });
    if (request.op === 'put') task.blobPuts.track(reply);
    void reply.then((r) => this.post(task.key, { type: 'blob-reply', id, reply: r }));
  }

  /** Acknowledges once the task's pending puts are stored; declines when one of them failed. */
  private async ackAfterPuts(task: RunningTask, ack: CheckpointAckFromTask): Promise<void> {
    const failure = await task.blobPuts.settled();
    if (failure) this.events.onCheckpointDeclined?.(task.key, ack.checkpointId, failure);
    else this.events.onCheckpointAck?.(task.key, ack);
  }

  /** Posts to a task thread; false when the task is not (or no longer) running here. */
  private post(key: TaskKey, message: TaskControlMessage): boolean {
    const task = this.tasks.get(taskId(key));
    if (!task || TERMINAL_STATES.has(task.state)) return false;
    task.worker.postMessage(message);
    return true;
  }

  /** Runs `deliver`; once it (or its promise) is done, lets the task send `bytes` more output. */
  private acknowledge(task: RunningTask, bytes: number, deliver: () => void | Promise<void>): void {
    const ack = (): void => {
      if (!TERMINAL_STATES.has(task.state))
        task.worker.postMessage({ type: 'output-ack', bytes } satisfies TaskControlMessage);
    };
    let delivered: void | Promise<void>;
    try {
      delivered = deliver();
    } catch (err) {
      ack();
      throw err;
    }
    if (delivered instanceof Promise) void delivered.then(ack, ack);
    else ack();
  }

  private transition(task: RunningTask, state: ExecutionState, error?: SerializedError): void {
    if (TERMINAL_STATES.has(task.state)) return;
    task.state = state;
    this.events.onStateChange(task.key, state, error);
  }
}

async function exitsWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([exited.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A task thread past its heap limit: say which limit, and what helps. */
function outOfMemory(name: string, limits: ResourceLimits | undefined): SerializedError {
  const limit = limits?.maxOldGenerationSizeMb;
  return {
    name: 'TaskOutOfMemoryError',
    code: 'SLUICE_TASK_OUT_OF_MEMORY',
    message:
      `task ${name} ran out of memory: ` +
      (limit
        ? `its slot's heap is ${limit} MB (the TaskManager's taskmanager.memory.heap.size shared by its slots). `
        : "it shares this process's heap. ") +
      'Keep large keyed state in the kv state backend (state.backend: kv) or give the slots more heap.',
  };
}

function taskId(key: TaskKey): string {
  return `${key.jobId}/${key.attempt}/${key.vertexId}/${key.subtaskIndex}`;
}

let defaults: StateSettings | undefined;
function defaultStateSettings(): StateSettings {
  return (defaults ??= stateSettingsFrom(defaultConfig()));
}

/** The task removes its state files itself; this also covers a thread that was terminated. */
function removeTaskStateDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (err) {
    process.emitWarning(`could not remove the task state directory ${dir}: ${String(err)}`);
  }
}
