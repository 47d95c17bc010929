import type { StreamExecutionEnvironment } from '../../../runtime/api/environment';
import type { Sink } from '../../../runtime/api/sink';
import { TaskHarness, restoreFrom } from '../../helpers/task-harness';

/**
 * The sink side of a checkpoint, driven in-thread: a two-phase-commit writer that logs each
 * call. Committables are `<checkpointId>:<records>`.
 */
function loggingSink(log: string[], commitHangs = false): Sink<string> {
  return {
    createWriter(context) {
      let staged: string[] = [];
      log.push(`open checkpointing=${context.checkpointing}`);
      return {
        write: (record) => void staged.push(record),
        prepareCommit: (checkpointId) => {
          log.push(`prepare ${checkpointId}`);
          const committables = staged.length > 0 ? [`${checkpointId}:${staged.join(',')}`] : [];
          staged = [];
          return committables;
        },
        commit: (committables) => {
          log.push(`commit ${committables.join(' ')}`);
          return commitHangs ? new Promise<void>(() => undefined) : undefined;
        },
        finish: () => void log.push('finish'),
        close: () => void log.push('close'),
      };
    },
  };
}

function sinkJob(log: string[], commitHangs = false) {
  return {
    checkpointing: { mode: 'exactly-once' as const },
    vertex: (v: { operators: readonly { uid?: string }[] }) => v.operators.some((o) => o.uid === 'sink'),
    build: (env: StreamExecutionEnvironment): void =>
      void env.fromCollection<string>([]).rebalance().sinkTo(loggingSink(log, commitHangs)).uid('sink'),
  };
}

let open: TaskHarness[] = [];
afterEach(async () => {
  await Promise.all(open.map((h) => h.dispose()));
  open = [];
});

describe('two-phase-commit sink in a task', () => {
  it('stages at each barrier, commits on completion only, keeps staged work of an aborted checkpoint', async () => {
    const log: string[] = [];
    const h = new TaskHarness(sinkJob(log)).start();
    open.push(h);
    const ch = h.inputs[0]!;
    ch.send('r1');
    ch.barrier(1);
    await h.ack(1);
    expect(log).toEqual(['open checkpointing=true', 'prepare 1']);
    h.control({ type: 'checkpoint-aborted', checkpointId: 1 });
    ch.send('r2');
    ch.barrier(2);
    const ack2 = await h.ack(2);
    expect(ack2.operators.sink?.operator).toBeDefined();
    expect(log.filter((l) => l.startsWith('commit'))).toEqual([]);
    h.control({ type: 'checkpoint-complete', checkpointId: 2 });
    await h.until(() => log.some((l) => l.startsWith('commit')), 'the commit');
    // Checkpoint 1's committables were pending: they go with checkpoint 2's.
    expect(log.slice(1)).toEqual(['prepare 1', 'prepare 2', 'commit 1:r1 2:r2']);
    ch.barrier(3);
    await h.ack(3);
    h.control({ type: 'checkpoint-complete', checkpointId: 3 });
    ch.send('r3');
    await h.until(() => log.length === 5, 'prepare 3');
    expect(log.at(-1)).toBe('prepare 3'); // nothing staged, nothing to commit
    await h.dispose();

    // A restore from checkpoint 2 (its commit may not have happened) commits its committables again.
    const restoredLog: string[] = [];
    const r = new TaskHarness({ ...sinkJob(restoredLog), restore: restoreFrom(ack2) }).start();
    open.push(r);
    await r.until(() => restoredLog.length >= 2, 'the commit at open');
    expect(restoredLog).toEqual(['open checkpointing=true', 'commit 1:r1 2:r2']);
  });

  it('at the end of input, commits the last records with a final checkpoint before finishing', async () => {
    const log: string[] = [];
    const h = new TaskHarness(sinkJob(log)).start();
    open.push(h);
    h.inputs[0]!.send('r1', 'r2');
    h.inputs[0]!.endOfPartition();
    await h.until(() => h.messages.some((m) => m.type === 'end-of-input'), 'end-of-input');
    expect(log).toEqual(['open checkpointing=true', 'finish']);
    h.trigger(7);
    await h.ack(7);
    h.control({ type: 'checkpoint-complete', checkpointId: 7 });
    await expect(h.ended()).resolves.toBe('finished');
    expect(log).toEqual(['open checkpointing=true', 'finish', 'prepare 7', 'commit 7:r1,r2', 'close']);
  });

  it('without checkpointing, never stages and finishes at the end of input', async () => {
    const log: string[] = [];
    const { checkpointing: _none, ...job } = sinkJob(log);
    const h = new TaskHarness(job).start();
    open.push(h);
    h.inputs[0]!.send('r1');
    h.inputs[0]!.endOfPartition();
    await expect(h.ended()).resolves.toBe('finished');
    expect(log).toEqual(['open checkpointing=false', 'finish', 'close']);
    expect(h.messages.some((m) => m.type === 'end-of-input')).toBe(false);
  });

  it('a cancel overtakes a commit that hangs', async () => {
    const log: string[] = [];
    const h = new TaskHarness(sinkJob(log, true)).start();
    open.push(h);
    h.inputs[0]!.send('r1');
    h.inputs[0]!.barrier(1);
    await h.ack(1);
    h.control({ type: 'checkpoint-complete', checkpointId: 1 });
    await h.until(() => log.includes('commit 1:r1'), 'the commit');
    h.control({ type: 'cancel' });
    await expect(h.ended()).resolves.toBe('canceled');
  });
});
