import type { CheckpointingMode } from '../../../runtime/checkpoint/checkpointing-mode';
import { CheckpointBarrierHandler } from '../../../runtime/taskmanager/checkpoint-barrier-handler';

/** Records what the handler asks of the task, with a clock the test moves. */
function handler(mode: CheckpointingMode, inputs: number) {
  const calls: string[] = [];
  let now = 1000;
  const h = new CheckpointBarrierHandler(
    mode,
    inputs,
    {
      hold: (i) => calls.push(`hold ${i}`),
      releaseAll: () => calls.push('release'),
      aligned: (id, ts, alignmentMs) => calls.push(`aligned ${id} ts=${ts} after ${alignmentMs}ms`),
      superseded: (id, by) => calls.push(`superseded ${id} by ${by}`),
    },
    () => now,
  );
  return { h, calls, advance: (ms: number) => void (now += ms) };
}

describe('CheckpointBarrierHandler', () => {
  it('exactly-once: holds each input that delivered the barrier, snapshots at the last, then releases', () => {
    const { h, calls, advance } = handler('exactly-once', 3);
    h.onBarrier(2, 1, 55);
    advance(7);
    h.onBarrier(0, 1, 55);
    expect(h.pendingCheckpointId).toBe(1);
    advance(5);
    h.onBarrier(1, 1, 55);
    expect(calls).toEqual(['hold 2', 'hold 0', 'hold 1', 'aligned 1 ts=55 after 12ms', 'release']);
    expect(h.pendingCheckpointId).toBeUndefined();
  });

  it('at-least-once: holds nothing', () => {
    const { h, calls } = handler('at-least-once', 2);
    h.onBarrier(0, 4, 1);
    h.onBarrier(1, 4, 1);
    expect(calls).toEqual(['aligned 4 ts=1 after 0ms', 'release']);
  });

  it('an ended input counts as aligned, also when it ends during the alignment', () => {
    const { h, calls } = handler('exactly-once', 3);
    h.onEndOfInput(0);
    h.onBarrier(1, 1, 0);
    expect(calls).toEqual(['hold 1']);
    h.onEndOfInput(2);
    expect(calls).toEqual(['hold 1', 'aligned 1 ts=0 after 0ms', 'release']);
    expect(h.allEnded).toBe(false);
    h.onEndOfInput(1);
    expect(h.allEnded).toBe(true);
  });

  it('a newer barrier supersedes the alignment; old and repeated barriers are ignored', () => {
    const { h, calls } = handler('exactly-once', 2);
    h.onBarrier(0, 1, 0);
    h.onBarrier(1, 2, 0);
    expect(calls).toEqual(['hold 0', 'release', 'superseded 1 by 2', 'hold 1']);
    h.onBarrier(1, 1, 0); // late barrier of the superseded checkpoint
    h.onBarrier(0, 2, 0);
    h.onBarrier(0, 2, 0); // already taken
    h.onBarrier(1, 1, 0);
    expect(calls.slice(4)).toEqual(['hold 0', 'aligned 2 ts=0 after 0ms', 'release']);
  });

  it('an abort from the coordinator releases the inputs and its barriers are ignored afterwards', () => {
    const { h, calls } = handler('exactly-once', 2);
    h.abort(3); // not started here yet
    h.onBarrier(0, 3, 0);
    h.onBarrier(0, 5, 0);
    h.abort(5);
    h.onBarrier(1, 5, 0);
    expect(calls).toEqual(['hold 0', 'release']);
    h.onBarrier(1, 6, 0);
    h.onBarrier(0, 6, 0);
    expect(calls.slice(2)).toEqual(['hold 1', 'hold 0', 'aligned 6 ts=0 after 0ms', 'release']);
  });
});
