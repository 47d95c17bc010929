import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagePort, ResourceLimits } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import type { SerializedError } from '../errors';
import { defaultConfig } from '../config';
import type { ChannelProvider } from '../network/channel-provider';
import type { StateSettings } from '../state/state-backend-factory';
import { stateSettingsFrom, taskStateSettings } from '../state/state-backend-factory';
import type { TaskDeploymentDescriptor } from './task-deployment';
import { taskName } from './task-deployment';
import type { ExecutionState, TaskControlMessage, TaskMetrics, TaskThreadMessage } from './task-reporter';
import { TERMINAL_STATES } from './task-reporter';

const BOOTSTRAP = join(__dirname, 'task-thread-bootstrap.js');

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
}

interface RunningTask {
  readonly key: TaskKey;
  readonly name: string;
  readonly worker: Worker;
  state: ExecutionState;
}

/**
 * Runs deployed tasks, each in its own worker thread, and relays what they report.
 * This is the TaskManager's task executor; the embedded mini cluster uses it too.
 */
export class TaskExecutor {
  private readonly tasks = new Map<string, RunningTask>();

  constructor(
    private readonly channels: ChannelProvider,
    private readonly events: TaskEvents,
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
    } = {},
  ): TaskKey {
    const key: TaskKey = {
      jobId: tdd.jobId,
      attempt: tdd.attempt,
      vertexId: tdd.vertexId,
      subtaskIndex: tdd.subtaskIndex,
    };
    const ports = options.ports ?? this.channels.portsFor(tdd);
    const state = taskStateSettings(options.state ?? defaultStateSettings(), key);
    const worker = new Worker(BOOTSTRAP, {
      workerData: {
        tdd,
        ports: Object.fromEntries(ports),
        taskManagerId: options.taskManagerId ?? 'embedded',
        state,
      },
      transferList: [...ports.values()],
      resourceLimits: options.resourceLimits,
      name: taskName(tdd),
    });
    const task: RunningTask = { key, name: taskName(tdd), worker, state: 'DEPLOYING' };
    this.tasks.set(taskId(key), task);
    worker.on('message', (m: TaskThreadMessage) => this.onMessage(task, m));
    worker.on('error', (err) =>
      this.transition(task, 'FAILED', { name: err.name, message: err.message, stack: err.stack }),
    );
    worker.on('exit', (code) => {
      this.tasks.delete(taskId(key));
      removeTaskStateDir(state.taskDir);
      if (!TERMINAL_STATES.has(task.state)) {
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
   * Stops every task of a job up to attempt `upToAttempt` (all when omitted) and forgets those
   * attempts' channels; resolves when the threads have exited. Channels are released per
   * attempt, so a later attempt of the same job is not affected.
   */
  async cancelJob(jobId: string, upToAttempt?: number): Promise<void> {
    const victims = [...this.tasks.values()].filter(
      (t) => t.key.jobId === jobId && (upToAttempt === undefined || t.key.attempt <= upToAttempt),
    );
    await Promise.all(
      victims.map(async (t) => {
        if (!TERMINAL_STATES.has(t.state)) this.transition(t, 'CANCELED');
        await t.worker.terminate();
      }),
    );
    const last = upToAttempt ?? Math.max(-1, ...victims.map((t) => t.key.attempt));
    for (let attempt = 0; attempt <= last; attempt++) this.channels.release(`${jobId}/${attempt}/`);
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
    }
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
