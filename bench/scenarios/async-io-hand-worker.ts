/**
 * The hand-written baseline of the async-io bench (see async-io.ts), in a worker thread of its
 * own: a fresh thread, like the task thread each mapAsync run gets, so both start with a cold
 * JIT and an empty connection pool, and neither shares the bench's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { callSquare } from '../jobs/async-calls';

const { url, records, capacity } = workerData as { url: string; records: number; capacity: number };

/** The same calls as the job, at most `capacity` at a time: the baseline a user would write. */
async function handLoop(): Promise<number> {
  let next = 0;
  let answered = 0;
  await Promise.all(
    Array.from({ length: capacity }, async () => {
      while (next < records) {
        const v = next++;
        if ((await callSquare(url, v)) === v * v) answered++;
      }
    }),
  );
  return answered;
}

void handLoop().then((answered) => parentPort!.postMessage({ answered }));
