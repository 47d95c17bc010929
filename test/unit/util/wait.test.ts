import { MessageChannel } from 'node:worker_threads';
import { waitFor } from '../../../runtime/util/wait';

function blockFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // a stalled event loop: a long GC, a starved process on a loaded machine
  }
}

describe('waitFor', () => {
  it('sees a message that arrived during a stall longer than its timeout', async () => {
    const { port1, port2 } = new MessageChannel();
    let arrived = false;
    port2.on('message', () => (arrived = true));
    let checks = 0;
    try {
      const seen = await waitFor(
        () => {
          if (++checks === 1) {
            // The message arrives while the thread is stalled past the deadline.
            port1.postMessage('done');
            blockFor(200);
          }
          return arrived;
        },
        { timeoutMs: 50, intervalMs: 5, what: 'the message' },
      );
      expect(seen).toBe(true);
    } finally {
      port1.close();
    }
  });

  it('times out naming what it waited for, with the last error', async () => {
    let calls = 0;
    const waiting = waitFor(
      () => {
        calls++;
        throw new Error('not yet');
      },
      { timeoutMs: 30, intervalMs: 5, what: 'the answer' },
    );
    await expect(waiting).rejects.toThrow(
      'timed out after 30 ms waiting for the answer (last error: Error: not yet)',
    );
    expect(calls).toBeGreaterThan(1);
  });
});
