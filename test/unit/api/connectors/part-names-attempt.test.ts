import { partNames } from '../../../../runtime/api/connectors/file-sink/part-names';

describe('file sink part names per attempt', () => {
  it('keeps the in-progress file of each attempt apart, and staged and committed names per checkpoint', () => {
    const first = partNames('job1', 3, 0);
    const next = partNames('job1', 3, 20_000);
    // A task of attempt 0 still writing during a failover must not touch attempt 20000's file.
    expect(first.inProgress).toBe('.part-job1-3.a0.inprogress');
    expect(next.inProgress).toBe('.part-job1-3.a20000.inprogress');
    // What a restored attempt commits is found by checkpoint id, whichever attempt staged it.
    expect(next.staged(7)).toBe(first.staged(7));
    expect(next.committed(7)).toBe('part-job1-3-7.txt');
    expect(partNames('job1', 3).inProgress).toBe('.part-job1-3.inprogress');
  });
});
