import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** Longest wait between polls while the job manager does not answer. */
const MAX_BACKOFF_MS = 30_000;

export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: ApiError | undefined;
  /** When the next attempt happens after an error (epoch ms). */
  readonly retryAt: number | undefined;
  /** When `data` arrived (epoch ms). */
  readonly updatedAt: number | undefined;
}

/**
 * Calls `load` now and every `intervalMs`; after a failure waits twice as long each time (up to
 * 30 s) and keeps the last good data on screen. Restarts when `key` changes; stops on unmount.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, key: string): Polled<T> {
  const [state, setState] = useState<Polled<T>>({
    data: undefined,
    error: undefined,
    retryAt: undefined,
    updatedAt: undefined,
  });
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let failures = 0;
    setState({ data: undefined, error: undefined, retryAt: undefined, updatedAt: undefined });
    const tick = async (): Promise<void> => {
      let delay = intervalMs;
      try {
        const data = await loader.current();
        failures = 0;
        if (!stopped) setState({ data, error: undefined, retryAt: undefined, updatedAt: Date.now() });
      } catch (err) {
        failures++;
        delay = Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** failures);
        const error = err instanceof ApiError ? err : new ApiError(0, String(err));
        if (!stopped) setState((s) => ({ ...s, error, retryAt: Date.now() + delay }));
      }
      if (!stopped) timer = window.setTimeout(() => void tick(), delay);
    };
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [key, intervalMs]);
  return state;
}
