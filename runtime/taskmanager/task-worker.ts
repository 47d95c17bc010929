/**
 * Entry point of a task thread ("one task, one thread"). Loads the job module, rebuilds the
 * graph, checks it is the submitted one, runs the subtask and reports to the owning thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { parentPort, workerData } from 'node:worker_threads';
import { loadJobModule } from '../api/load-job-module';
import { GraphMismatchError, serializeError } from '../errors';
import { createJobGraph } from '../graph/job-graph';
import { buildStreamGraph } from '../graph/stream-graph';
import { StreamTask } from './stream-task';
import type { TaskDeploymentDescriptor } from './task-deployment';
import type { TaskReporter, TaskThreadMessage } from './task-reporter';

export interface TaskWorkerData {
  readonly tdd: TaskDeploymentDescriptor;
  readonly ports: Record<string, MessagePort>;
}

const OUTPUT_FLUSH_MS = 50;
const METRICS_INTERVAL_MS = 1000;

class ThreadReporter implements TaskReporter {
  private lines: string[] = [];
  private values: unknown[] = [];
  private readonly timer = setInterval(() => this.flush(), OUTPUT_FLUSH_MS);

  constructor(private readonly port: MessagePort) {}

  output(line: string): void {
    this.lines.push(line);
  }

  result(value: unknown): void {
    this.values.push(value);
  }

  send(message: TaskThreadMessage): void {
    this.port.postMessage(message);
  }

  flush(): void {
    if (this.lines.length > 0) this.send({ type: 'output', lines: this.lines });
    if (this.values.length > 0) this.send({ type: 'results', values: this.values });
    this.lines = [];
    this.values = [];
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

async function runTask(port: MessagePort, data: TaskWorkerData): Promise<void> {
  const { tdd } = data;
  const reporter = new ThreadReporter(port);
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
    const task = new StreamTask(tdd, graph, vertex, new Map(Object.entries(data.ports)), reporter);
    metricsTimer = setInterval(
      () => reporter.send({ type: 'metrics', metrics: task.metrics() }),
      METRICS_INTERVAL_MS,
    );
    reporter.send({ type: 'state', state: 'RUNNING' });
    await task.run();
    clearInterval(metricsTimer);
    reporter.stop();
    reporter.send({ type: 'metrics', metrics: task.metrics() });
    reporter.send({ type: 'state', state: 'FINISHED' });
  } catch (err) {
    clearInterval(metricsTimer);
    reporter.stop();
    reporter.send({ type: 'state', state: 'FAILED', error: serializeError(err) });
  }
}

if (parentPort) {
  // Cancel (see TaskExecutor.cancelTask): the thread ends at once. A task stuck in a
  // synchronous call never reads this message, and the executor terminates the thread instead.
  parentPort.on('message', (message: { type?: string }) => {
    if (message.type === 'cancel') process.exit(0);
  });
  // The listener must not keep a finished task's thread alive.
  parentPort.unref();
  void runTask(parentPort, workerData as TaskWorkerData);
}
