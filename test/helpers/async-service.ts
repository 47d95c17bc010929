import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HTTP service for async I/O tests and benchmarks (node:http, on a free port):
 * `GET /square?v=N` answers `{"v":N,"square":N*N}` after a random latency, and
 * `GET /fail?v=N` answers 500. It counts requests per value, and the requests in flight
 * per caller (the `x-subtask` header), keeping the maximum each reached, so a test can check a
 * concurrency limit per subtask from the outside. `GET /stats` answers the calls counted and
 * the times (ms) of the first and the last one since the last `GET /reset`.
 */
export interface AsyncService {
  readonly url: string;
  /** Requests received per value `v`. */
  readonly requests: Map<number, number>;
  /** Most requests in flight at once, per `x-subtask` header. */
  readonly maxInFlight: Map<string, number>;
  /** Every request received. */
  total(): number;
  close(): Promise<void>;
}

export interface AsyncServiceOptions {
  /** Latency of each answer, uniform in [min, max] ms; default [0, 5]. */
  readonly latencyMs?: readonly [number, number];
  /** Values answered only after this long (ms), to make calls time out. */
  readonly slowValues?: { readonly values: ReadonlySet<number>; readonly delayMs: number };
}

export function square(v: number): number {
  return v * v;
}

export async function startAsyncService(options: AsyncServiceOptions = {}): Promise<AsyncService> {
  const [minMs, maxMs] = options.latencyMs ?? [0, 5];
  const requests = new Map<number, number>();
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  let total = 0;
  let window = { calls: 0, firstAt: 0, lastAt: 0 };
  const answers = new Set<NodeJS.Timeout>();
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/stats' || url.pathname === '/reset') {
      if (url.pathname === '/reset') window = { calls: 0, firstAt: 0, lastAt: 0 };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(window));
      return;
    }
    const at = performance.now();
    if (window.calls++ === 0) window.firstAt = at;
    window.lastAt = at;
    const v = Number(url.searchParams.get('v'));
    const caller = String(req.headers['x-subtask'] ?? '-');
    total++;
    requests.set(v, (requests.get(v) ?? 0) + 1);
    const now = (inFlight.get(caller) ?? 0) + 1;
    inFlight.set(caller, now);
    if (now > (maxInFlight.get(caller) ?? 0)) maxInFlight.set(caller, now);
    const slow = options.slowValues?.values.has(v) ? options.slowValues.delayMs : 0;
    const delay = slow || minMs + Math.random() * (maxMs - minMs);
    const answer = (): void => {
      answers.delete(timer);
      inFlight.set(caller, inFlight.get(caller)! - 1);
      if (url.pathname === '/fail') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`no square for ${v}`);
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ v, square: square(v) }));
    };
    const timer = setTimeout(answer, Math.max(0, delay));
    answers.add(timer);
  };
  const server = createServer(handle);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    maxInFlight,
    total: () => total,
    close: () =>
      new Promise<void>((resolve) => {
        // Answers still pending (slow values) would keep the process alive after the test.
        for (const timer of answers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
