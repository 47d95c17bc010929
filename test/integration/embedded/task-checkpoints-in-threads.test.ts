import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareJob } from '../../../runtime/client/prepare-job';
import type { TaskDeploymentDescriptor } from '../../../runtime/deployment/task-deployment';
import { createDeploymentDescriptor } from '../../../runtime/deployment/task-deployment';
import type { ExecutionState } from '../../../runtime/deployment/execution-state';
import { buildExecutionGraph } from '../../../runtime/graph/execution-graph';
import { DEFAULT_NETWORK_SETTINGS } from '../../../runtime/minicluster/mini-cluster';
import { LocalChannelProvider } from '../../../runtime/network/channel-provider';
import type { StateBackendKind } from '../../../runtime/state/keyed-state-backend';
import type { CheckpointAckFromTask, TaskKey } from '../../../runtime/taskmanager/task-executor';
import { TaskExecutor } from '../../../runtime/taskmanager/task-executor';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob } from '../../helpers/embedded';

/**
 * The task side of checkpoints in real task threads: a test stands in for the checkpoint
 * coordinator, triggering checkpoints at the source tasks through a TaskExecutor, collecting
 * the acks and sending completion notices, then the final checkpoint after end of input.
 */

const RECORDS = 300_000;
const KEYS = 10;

interface Run {
  readonly executor: TaskExecutor;
  readonly tasks: TaskDeploymentDescriptor[];
  readonly states: Map<string, ExecutionState>;
  readonly acks: Map<number, (CheckpointAckFromTask & { task: string })[]>;
  readonly endOfInput: Set<string>;
  readonly results: unknown[];
  readonly problems: string[];
  readonly stateDir: string;
}

const id = (k: TaskKey): string => `${k.vertexId}/${k.subtaskIndex}`;

function deploy(backend: StateBackendKind, args: Record<string, string>): Run {
  const { jobGraph, code } = prepareJob(fixtureJob('paced-sum-job'), args, {
    parallelism: 2,
    stateBackend: backend,
  });
  const jobId = `ckpt-${Date.now()}`;
  const network = { bufferTimeoutMs: jobGraph.settings.bufferTimeoutMs, ...DEFAULT_NETWORK_SETTINGS };
  const tasks = buildExecutionGraph(jobGraph, jobId, 0).map((v) => ({
    ...createDeploymentDescriptor(jobId, 0, jobGraph, code, v, network),
    checkpointing: { mode: 'exactly-once' as const },
  }));
  const stateDir = mkdtempSync(join(tmpdir(), 'sluice-ckpt-threads-'));
  const run: Run = {
    tasks,
    states: new Map(),
    acks: new Map(),
    endOfInput: new Set(),
    results: [],
    problems: [],
    stateDir,
    executor: new TaskExecutor(new LocalChannelProvider(), {
      onStateChange: (k, state, error) => {
        run.states.set(id(k), state);
        if (state === 'FAILED') run.problems.push(`task ${id(k)} failed: ${error?.message}`);
      },
      onOutput: () => undefined,
      onResults: (_k, values) => void run.results.push(...values),
      onCheckpointAck: (k, ack) => {
        const withTask = { ...ack, task: id(k) };
        run.acks.set(ack.checkpointId, [...(run.acks.get(ack.checkpointId) ?? []), withTask]);
      },
      onCheckpointDeclined: (k, n, error) =>
        void run.problems.push(`task ${id(k)} declined checkpoint ${n}: ${error.message}`),
      onEndOfInput: (k) => void run.endOfInput.add(id(k)),
    }),
  };
  const state = { backend, localDir: stateDir, kvCacheBytes: 1024 * 1024 };
  for (const tdd of tasks) run.executor.deploy(tdd, { state });
  return run;
}

const keyOf = (t: TaskDeploymentDescriptor): TaskKey => ({
  jobId: t.jobId,
  attempt: t.attempt,
  vertexId: t.vertexId,
  subtaskIndex: t.subtaskIndex,
});

const finished = (run: Run, t: TaskDeploymentDescriptor): boolean =>
  run.states.get(id(keyOf(t))) === 'FINISHED';

/**
 * What the coordinator triggers (docs/architecture.md §6): the source tasks, and tasks that
 * reported end of input, as long as they have not finished.
 */
function triggerTargets(run: Run): TaskDeploymentDescriptor[] {
  return run.tasks.filter(
    (t) => !finished(run, t) && (t.inputs.length === 0 || run.endOfInput.has(id(keyOf(t)))),
  );
}

/**
 * Triggers checkpoint n and, once every task that has not finished acked it, notifies
 * completion. A finished task acked its final state before (`taskFinished`) and acks no more.
 */
async function checkpoint(run: Run, n: number): Promise<void> {
  for (const t of triggerTargets(run)) run.executor.triggerCheckpoint(keyOf(t), n, Date.now());
  const acked = (): Set<string> => new Set((run.acks.get(n) ?? []).map((a) => a.task));
  await waitFor(
    () => run.problems.length > 0 || run.tasks.every((t) => finished(run, t) || acked().has(id(keyOf(t)))),
    { what: `acks of checkpoint ${n}`, timeoutMs: 30_000 },
  );
  expect(run.problems).toEqual([]);
  run.executor.notifyCheckpoint(run.tasks[0]!.jobId, 0, n, 'complete');
}

describe('checkpoints in task threads', () => {
  let run: Run | undefined;
  afterEach(async () => {
    if (run) await run.executor.cancelJob(run.tasks[0]!.jobId);
    if (run) rmSync(run.stateDir, { recursive: true, force: true });
    run = undefined;
  });

  it.each<StateBackendKind>(['heap', 'kv'])(
    'periodic checkpoints while running, then a final one after end of input (%s)',
    async (backend) => {
      const r = (run = deploy(backend, {
        records: String(RECORDS),
        keys: String(KEYS),
        pauseEvery: '2000',
        pauseMs: '2',
      }));
      let n = 0;
      let beforeAnyEnd = 0;
      while (!r.tasks.every((t) => finished(r, t)) && n < 500) {
        if (r.endOfInput.size === 0) beforeAnyEnd++;
        await checkpoint(r, ++n);
      }
      expect(beforeAnyEnd).toBeGreaterThan(0); // checkpoints completed while records flowed
      expect(r.problems).toEqual([]);
      for (const t of r.tasks) {
        const own = [...r.acks.values()].flat().filter((a) => a.task === id(keyOf(t)));
        // Its last ack was taken after its end of input; the ones before were not.
        expect(own.map((a) => a.taskFinished === true)).toEqual([...own.map(() => false).slice(1), true]);
        const hasState = (a: CheckpointAckFromTask): boolean =>
          Object.values(a.operators).some((o) => (t.inputs.length === 0 ? o.operator : o.keyed));
        expect(own.every(hasState)).toBe(true);
      }
      const expected = new Map<number, number>();
      for (let x = 0; x < RECORDS; x++) expected.set(x % KEYS, (expected.get(x % KEYS) ?? 0) + x);
      expect(new Map(r.results as [number, number][])).toEqual(expected);
    },
  );

  it('cancel frees the kv state in every thread and ends them', async () => {
    const r = (run = deploy('kv', { records: '100000000', pauseEvery: '1000', pauseMs: '1' }));
    await waitFor(() => r.tasks.every((t) => r.states.get(id(keyOf(t))) === 'RUNNING'), {
      what: 'tasks running',
    });
    await checkpoint(r, 1);
    await r.executor.cancelJob(r.tasks[0]!.jobId);
    expect([...r.states.values()].every((s) => s === 'CANCELED')).toBe(true);
    expect(existsSync(r.stateDir) ? readdirSync(r.stateDir) : []).toEqual([]);
  });
});
