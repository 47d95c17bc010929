import { PendingBlobPuts } from '../../../runtime/taskmanager/task-blob-access';
import type { TaskBlobReply } from '../../../runtime/taskmanager/task-reporter';

function deferred(): { promise: Promise<TaskBlobReply>; resolve: (r: TaskBlobReply) => void } {
  let resolve!: (r: TaskBlobReply) => void;
  const promise = new Promise<TaskBlobReply>((r) => (resolve = r));
  return { promise, resolve };
}

describe('pending blob puts of a task (what a checkpoint ack waits for)', () => {
  it('settles only after every put tracked so far is answered', async () => {
    const puts = new PendingBlobPuts();
    const first = deferred();
    const second = deferred();
    puts.track(first.promise);
    puts.track(second.promise);
    let settled: unknown = 'pending';
    const done = puts.settled().then((failure) => (settled = failure));
    first.resolve({ ok: true });
    await first.promise;
    await Promise.resolve();
    expect(settled).toBe('pending');
    second.resolve({ ok: true });
    await done;
    expect(settled).toBeUndefined();
    expect(puts.size).toBe(0);
  });

  it('reports the failure of a put, so the checkpoint is declined', async () => {
    const puts = new PendingBlobPuts();
    const failing = deferred();
    puts.track(failing.promise);
    puts.track(Promise.resolve({ ok: true }));
    failing.resolve({
      ok: false,
      error: { name: 'StorageError', message: 'S3 put failed', code: 'SLUICE_STORAGE' },
    });
    expect(await puts.settled()).toMatchObject({ message: 'S3 put failed' });
  });

  it('does not wait for puts tracked after the call', async () => {
    const puts = new PendingBlobPuts();
    const settled = puts.settled();
    puts.track(deferred().promise); // never answered
    await expect(settled).resolves.toBeUndefined();
  });
});
