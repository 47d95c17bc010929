import { CheckpointStatsTracker } from '../../../runtime/checkpoint/checkpoint-stats-tracker';

const timings = { alignmentMs: 4, syncMs: 3, asyncMs: 2, uploadMs: 1 };

describe('CheckpointStatsTracker', () => {
  it('counts, keeps the latest of each outcome and a bounded history, newest first', () => {
    const stats = new CheckpointStatsTracker(3);
    stats.onTriggered(1, 'periodic', 1000, 2);
    stats.onAcknowledged(1, 'v', 0, 1010, 100, timings);
    stats.onAcknowledged(1, 'v', 0, 1011, 100, timings); // a duplicate counts once
    stats.onAcknowledged(1, 'v', 1, 1020, 50, timings);
    stats.onCompleted(1, 1030, 'file:///x/chk-1');
    for (const id of [2, 3, 4, 5]) stats.onTriggered(id, 'manual', 2000 + id, 2);
    stats.onFailed(2, 3000, 'checkpoint 2 aborted: declined');
    // 2 left the history before it failed: counted all the same.
    const s = stats.stats(4000);
    expect(s.counts).toEqual({ restored: 0, total: 5, inProgress: 3, completed: 1, failed: 1 });
    expect(s.history.map((h) => h.id)).toEqual([5, 4, 3]);
    expect(s.latest.completed).toMatchObject({
      id: 1,
      status: 'COMPLETED',
      stateSize: 150,
      acknowledgedSubtasks: 2,
      durationMs: 30,
      latestAckTimestamp: 1020,
      externalPath: 'file:///x/chk-1',
    });
    expect(s.latest.failed).toMatchObject({ id: 2, failureMessage: 'checkpoint 2 aborted: declined' });
    expect(s.history[0]).toMatchObject({ status: 'IN_PROGRESS', durationMs: 4000 - 2005 });
    stats.onRestored({ id: 1, restoreTimestamp: 5000, externalPath: 'file:///x/chk-1', isSavepoint: false });
    expect(stats.stats().counts.restored).toBe(1);
    expect(stats.stats().latest.restored?.id).toBe(1);
    expect(stats.details(1)).toBeUndefined(); // out of the history
    expect(stats.details(5)).toMatchObject({ id: 5, subtasks: [] });
  });
});
