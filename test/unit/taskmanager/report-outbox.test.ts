import pino from 'pino';
import type { ReportChannel } from '../../../runtime/taskmanager/report-outbox';
import { ReportOutbox } from '../../../runtime/taskmanager/report-outbox';

/** Records what the outbox sends; calls stay unacknowledged until the test acknowledges them. */
class RecordingChannel implements ReportChannel {
  readonly sent: { kind: 'call' | 'notify'; method: string; body: Record<string, unknown> }[] = [];
  private readonly pending: { resolve: () => void; reject: (e: Error) => void }[] = [];

  call(method: string, body: unknown): Promise<unknown> {
    this.sent.push({ kind: 'call', method, body: body as Record<string, unknown> });
    return new Promise((resolve, reject) => this.pending.push({ resolve: () => resolve(null), reject }));
  }

  notify(method: string, body: unknown): void {
    this.sent.push({ kind: 'notify', method, body: body as Record<string, unknown> });
  }

  get unacknowledged(): number {
    return this.pending.length;
  }

  ackOldest(): void {
    this.pending.shift()!.resolve();
  }

  failAll(): void {
    for (const p of this.pending.splice(0)) p.reject(new Error('connection closed'));
  }
}

const logger = pino({ level: 'silent' });
const ref = { jobId: 'j', attempt: 0 };

describe('ReportOutbox', () => {
  it('keeps at most `window` output messages unacknowledged and acknowledges producers only when the job manager did', async () => {
    const channel = new RecordingChannel();
    const outbox = new ReportOutbox({ logger, window: 2, maxMessageBytes: 1000 });
    outbox.setChannel(channel);
    const done: number[] = [];
    for (let i = 0; i < 10; i++)
      outbox.output('taskOutput', ref, 'lines', [`l${i}`], 600, () => done.push(i));
    expect(channel.unacknowledged).toBe(2);
    expect(done).toEqual([]);
    channel.ackOldest();
    await Promise.resolve();
    await Promise.resolve();
    expect(done).toEqual([0]);
    expect(channel.unacknowledged).toBe(2);
    while (channel.unacknowledged > 0) {
      channel.ackOldest();
      await new Promise((r) => setImmediate(r));
    }
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(channel.sent.flatMap((s) => s.body.lines as string[])).toEqual(
      Array.from({ length: 10 }, (_, i) => `l${i}`),
    );
  });

  it('batches consecutive output of one attempt and kind up to the size target', () => {
    const channel = new RecordingChannel();
    const outbox = new ReportOutbox({ logger, window: 1, maxMessageBytes: 1000 });
    outbox.setChannel(channel);
    outbox.output('taskOutput', ref, 'lines', ['blocker'], 10, () => undefined);
    for (let i = 0; i < 5; i++) outbox.output('taskOutput', ref, 'lines', [`a${i}`], 300, () => undefined);
    outbox.output('taskResults', ref, 'results', [{ v: 1 }], 10, () => undefined);
    outbox.output('taskOutput', { jobId: 'j', attempt: 1 }, 'lines', ['b'], 10, () => undefined);
    channel.ackOldest();
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        // 3 x 300 fit under 1000, the 4th would not.
        expect(channel.sent[1]!.body).toEqual({ jobId: 'j', attempt: 0, lines: ['a0', 'a1', 'a2'] });
        resolve();
      }),
    );
  });

  it('never lets a task state overtake output queued before it, and drops everything (unblocking producers) on disconnect', async () => {
    const channel = new RecordingChannel();
    const outbox = new ReportOutbox({ logger, window: 1 });
    outbox.setChannel(channel);
    const done: string[] = [];
    outbox.output('taskOutput', ref, 'lines', ['x'], 10, () => done.push('x'));
    outbox.output('taskOutput', { jobId: 'k', attempt: 0 }, 'lines', ['y'], 10, () => done.push('y'));
    outbox.notify('taskState', { state: 'FINISHED' });
    expect(channel.sent.map((s) => s.method)).toEqual(['taskOutput']);
    channel.ackOldest();
    await new Promise((r) => setImmediate(r));
    // The state leaves right behind the output it followed, on the same ordered connection.
    expect(channel.sent.map((s) => s.method)).toEqual(['taskOutput', 'taskOutput', 'taskState']);
    outbox.notify('taskState', { state: 'RUNNING' });
    outbox.output('taskOutput', ref, 'lines', ['z'], 10, () => done.push('z'));
    outbox.setChannel(undefined);
    channel.failAll();
    await new Promise((r) => setImmediate(r));
    expect(done.sort()).toEqual(['x', 'y', 'z']);
    expect(outbox.queued).toBe(0);
  });
});
