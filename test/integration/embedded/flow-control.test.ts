import { JobCanceledError } from '../../../runtime/errors';
import { waitFor } from '../../../runtime/util/wait';
import { fixtureJob, runEmbedded } from '../../helpers/embedded';

describe('flow control, embedded', () => {
  it('backpressures a fast source behind a slow consumer and loses nothing', async () => {
    const count = 200_000;
    const { result } = await runEmbedded(
      fixtureJob('slow-consumer-job'),
      { count: String(count) },
      {},
      {
        network: { initialCredit: 2, bufferSizeBytes: 4096 },
      },
    );
    expect(result.results).toEqual([]); // process() emitted nothing per record
    const source = Object.entries(result.tasks).find(([name]) => name.startsWith('fast-source'))!;
    expect(source[1].recordsOut).toBe(count);
    expect(source[1].backPressuredMs).toBeGreaterThan(0);
    const slow = Object.entries(result.tasks).find(([name]) => name.startsWith('slow'))!;
    expect(slow[1].recordsIn).toBe(count);
  });

  it('flushes partial buffers on the buffer timeout and can be canceled', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const run = runEmbedded(
      fixtureJob('trickle-job'),
      {},
      { bufferTimeoutMs: 20 },
      {
        signal: controller.signal,
        onOutput: (lines) => seen.push(...lines),
      },
    );
    await waitFor(() => seen.length === 3, { timeoutMs: 15_000, what: 'three trickled records' });
    expect(seen.sort()).toEqual(['RECORD-0', 'RECORD-1', 'RECORD-2']);
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(JobCanceledError);
  });
});
