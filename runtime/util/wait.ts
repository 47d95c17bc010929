export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const FINAL_LOOKS = 3;

/** Polls `condition` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 20, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let finalLooks = 0;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      // After a stall longer than the timeout (a loaded machine, a long GC), the timer fires
      // before the messages and I/O that arrived meanwhile are dispatched: look again after a
      // few turns of the event loop (one turn can end before its I/O phase).
      if (finalLooks < FINAL_LOOKS) {
        finalLooks++;
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      const suffix = lastError ? ` (last error: ${String(lastError)})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${suffix}`);
    }
    await sleep(intervalMs);
  }
}
