/**
 * Entry point of a task thread ("one task, one thread"). Loads the job module, rebuilds the
 * graph, checks it is the submitted one, runs the subtask and reports to the owning thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { parentPort, workerData } from 'node:worker_threads';
import { loadJobModule } from '../api/load-job-module';
import { GraphMismatchError, SluiceError } from '../errors';
import { serializeError } from '../error-wire';
import { createJobGraph } from '../graph/job-graph';
import { buildStreamGraph } from '../graph/stream-graph';
import { jobStackOf } from './job-stack';
import type { TaskStateSettings } from '../state/state-backend-factory';
import type { TaskRestoreState } from '../checkpoint/state-handles';
import { StreamTask } from './stream-task';
import type { TaskDeploymentDescriptor } from '../deployment/task-deployment';
import type { TaskControlMessage, TaskReporter, TaskThreadMessage } from './task-reporter';
import { approxBytes } from '../util/approx-bytes';
import type { S3PathScope } from '../storage/s3-path';
import { TaskBlobClient } from './task-blob-client';

export interface TaskWorkerData {
  readonly tdd: TaskDeploymentDescriptor;
  readonly ports: Record<string, MessagePort>;
  readonly taskManagerId: string;
  readonly state: TaskStateSettings;
  /** The state to start from, when the job restores a checkpoint. */
  readonly restore?: TaskRestoreState;
  /** The bucket and prefix `s3://` paths may name; absent when the cluster's store is not on S3. */
  readonly s3Scope?: S3PathScope;
}

const OUTPUT_FLUSH_MS = 50;
const METRICS_INTERVAL_MS = 1000;
/** The first report comes sooner: a (re)started task shows its records flowing at once. */
const FIRST_METRICS_MS = 200;
/** A batch is sent when it reaches this many bytes, or after OUTPUT_FLUSH_MS. */
const OUTPUT_BATCH_BYTES = 64 * 1024;
/** Output sent but not yet acknowledged by the TaskManager, above which the task pauses. */
const MAX_UNACKED_OUTPUT_BYTES = 1024 * 1024;
/** One printed line or collected value may not be larger than this (it must fit a control frame). */
const MAX_OUTPUT_ITEM_BYTES = 8 * 1024 * 1024;

/**
 * Batches the task's client-bound output and keeps it bounded: past MAX_UNACKED_OUTPUT_BYTES
 * not yet acknowledged by the TaskManager (which acknowledges once the job manager has it),
 * the task is told it is backlogged and stops producing, exactly as under network back
 * pressure, until acknowledgements come back.
 */
class ThreadReporter implements TaskReporter {
  private lines: string[] = [];
  private values: unknown[] = [];
  private lineBytes = 0;
  private valueBytes = 0;
  private unacked = 0;
  private backlogged = false;
  private listener: ((backlogged: boolean) => void) | undefined;
  private readonly timer = setInterval(() => this.flush(), OUTPUT_FLUSH_MS);

  constructor(private readonly port: MessagePort) {}

  output(line: string): void {
    this.lineBytes += checkSize(line.length + 8, 'printed line');
    this.lines.push(line);
    if (this.lineBytes >= OUTPUT_BATCH_BYTES) this.flush();
  }

  result(value: unknown): void {
    this.valueBytes += checkSize(approxBytes(value), 'collected value');
    this.values.push(value);
    if (this.valueBytes >= OUTPUT_BATCH_BYTES) this.flush();
  }

  onBacklogChange(listener: (backlogged: boolean) => void): void {
    this.listener = listener;
  }

  send(message: TaskThreadMessage, transfer?: ArrayBuffer[]): void {
    this.port.postMessage(message, transfer);
  }

  flush(): void {
    if (this.lines.length > 0) this.send({ type: 'output', lines: this.lines, bytes: this.lineBytes });
    if (this.values.length > 0) this.send({ type: 'results', values: this.values, bytes: this.valueBytes });
    this.unacked += this.lineBytes + this.valueBytes;
    this.lines = [];
    this.values = [];
    this.lineBytes = 0;
    this.valueBytes = 0;
    this.updateBacklog();
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }

  acknowledged(bytes: number): void {
    this.unacked -= bytes;
    this.updateBacklog();
  }

  private updateBacklog(): void {
    const backlogged = this.unacked > MAX_UNACKED_OUTPUT_BYTES;
    if (backlogged === this.backlogged) return;
    this.backlogged = backlogged;
    this.listener?.(backlogged);
  }
}

function checkSize(bytes: number, what: string): number {
  if (bytes > MAX_OUTPUT_ITEM_BYTES) {
    throw new SluiceError(
      'SLUICE_BAD_REQUEST',
      `a ${what} of about ${bytes} bytes is larger than the ${MAX_OUTPUT_ITEM_BYTES} bytes a task may send to the client at once`,
    );
  }
  return bytes;
}

/** The task of this thread, once built: control messages go to its control lane. */
let task: StreamTask | undefined;
let reporter: ThreadReporter | undefined;

async function runTask(port: MessagePort, data: TaskWorkerData): Promise<void> {
  const { tdd } = data;
  const threadReporter = (reporter = new ThreadReporter(port));
  let metricsTimer: NodeJS.Timeout | undefined;
  try {
    const job = loadJobModule(tdd.code.modulePath);
    const graph = buildStreamGraph(job, tdd.code.args, tdd.code.buildSettings);
    const jobGraph = createJobGraph(graph);
    if (jobGraph.graphHash !== tdd.code.graphHash) {
      throw new GraphMismatchError(
        `job '${tdd.jobName}' built a different graph in the task than at submission ` +
          `(hash ${jobGraph.graphHash.slice(0, 12)} vs ${tdd.code.graphHash.slice(0, 12)}): ` +
          'the job module or its args changed, or its build function is not deterministic',
      );
    }
    const vertex = jobGraph.vertices.find((v) => v.id === tdd.vertexId);
    if (!vertex) throw new GraphMismatchError(`vertex ${tdd.vertexId} is not in the rebuilt job graph`);
    const running = (task = new StreamTask(
      tdd,
      graph,
      vertex,
      new Map(Object.entries(data.ports)),
      threadReporter,
      data.state,
      {
        taskManagerId: data.taskManagerId,
        ...(data.restore ? { restore: data.restore } : {}),
        s3: { store: new TaskBlobClient(port, data.s3Scope), scope: data.s3Scope },
      },
    ));
    const report = (): void => threadReporter.send({ type: 'metrics', metrics: running.metrics() });
    metricsTimer = setTimeout(() => {
      report();
      metricsTimer = setInterval(report, METRICS_INTERVAL_MS);
    }, FIRST_METRICS_MS);
    // RUNNING once restored and opened (Flink's INITIALIZING ends there): the checkpoint
    // coordinator starts when every task runs, and a task still opening could take no barrier.
    const outcome = await running.run(() => threadReporter.send({ type: 'state', state: 'RUNNING' }));
    clearInterval(metricsTimer);
    // A canceled task's state is freed: the thread ends, and the executor reports CANCELED.
    if (outcome === 'canceled') process.exit(0);
    threadReporter.stop();
    threadReporter.send({ type: 'metrics', metrics: running.metrics() });
    threadReporter.send({ type: 'state', state: 'FINISHED' });
  } catch (err) {
    clearInterval(metricsTimer);
    threadReporter.stop();
    const jobStack = jobStackOf(err, tdd.code.modulePath);
    threadReporter.send({
      type: 'state',
      state: 'FAILED',
      error: { ...serializeError(err), ...(jobStack ? { jobStack } : {}) },
    });
  }
}

/**
 * Control messages from the TaskManager thread. Output acknowledgements are bookkeeping and
 * apply at once; everything else goes through the task's control lane. A cancel that comes
 * before the task was built (its job module still loading) ends the thread at once: no state
 * exists yet. A task stuck in a synchronous call never reads any of this, and the executor
 * terminates the thread instead.
 */
function onControl(message: TaskControlMessage): void {
  if (message.type === 'output-ack') reporter?.acknowledged(message.bytes);
  else if (task) task.control(message);
  else if (message.type === 'cancel') process.exit(0);
}

if (parentPort) {
  parentPort.on('message', onControl);
  // The listener must not keep a finished task's thread alive.
  parentPort.unref();
  void runTask(parentPort, workerData as TaskWorkerData);
}
