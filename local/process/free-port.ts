import { createServer } from 'node:net';
import { ProcessStartError } from './process-errors';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: binds port 0, reads what the OS chose,
 * releases it. Another process may take it before the caller binds, so callers that start a
 * server on it should retry on EADDRINUSE.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}

/** Whether `port` on 127.0.0.1 can be bound right now (false when in use or not allowed). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Runs `start` on a fresh free port, again on another port when it fails with a
 * `ProcessStartError` whose reason is `port-in-use` (someone took the port between the probe
 * and the bind). Any other failure, or the last attempt's, is thrown as is.
 */
export async function withFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (err) {
      if (!(err instanceof ProcessStartError && err.reason === 'port-in-use') || attempt >= attempts)
        throw err;
    }
  }
}
